using System.Text;
using System.Text.Json.Nodes;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.ApiServer.Storage;
using KvStore.ApiServer.Storage.Cache;

namespace KvStore.ApiServer.Tests.Storage;

/// <summary>The same ObjectStore tests against an in-process kvstore member and a real etcd 3.4.</summary>
public sealed class ObjectStoreEmbeddedTests(EmbeddedBackend backend) : ObjectStoreTests(backend), IClassFixture<EmbeddedBackend>;

public sealed class ObjectStoreEtcdTests(EtcdBackend backend) : ObjectStoreTests(backend), IClassFixture<EtcdBackend>;

/// <summary>
/// kube-apiserver's storage/etcd3 semantics, observed through the store and through raw etcd reads, and its watches as
/// the facade serves them, from a watch cache over the store. Every test works under its own prefix, since the class
/// shares one store.
/// </summary>
public abstract class ObjectStoreTests(IStoreBackend backend)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private readonly IKeyValue _kv = backend.Kv;
    private readonly ObjectStore _store = new(backend.Kv);
    private readonly string _prefix = $"/registry/configmaps/t{Guid.NewGuid():N}/";

    private static JsonObject ConfigMap(string name, string value = "v") => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "t" },
        ["data"] = new JsonObject { ["k"] = value },
    };

    private static string Data(StoredObject o) => o.Object["data"]!["k"]!.GetValue<string>();

    private async Task<Mvccpb.KeyValue?> RawAsync(string key)
    {
        RangeResponse r = await _kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key) }, CancellationToken.None);
        return r.Kvs.SingleOrDefault();
    }

    [Fact]
    public async Task CreateUpdateDeleteAreCompareAndSwapOnModRevision()
    {
        string key = _prefix + "a";
        var withRv = ConfigMap("a");
        withRv["metadata"]!["resourceVersion"] = "12345";
        StoredObject created = await _store.CreateAsync(key, withRv, 0, CancellationToken.None);
        Mvccpb.KeyValue raw = (await RawAsync(key))!;
        Assert.Equal(raw.ModRevision, created.ModRevision);
        Assert.Equal(raw.ModRevision.ToString(), created.Object["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.DoesNotContain("resourceVersion", raw.Value.ToStringUtf8());

        var exists = await Assert.ThrowsAsync<StoreException>(() => _store.CreateAsync(key, ConfigMap("a"), 0, CancellationToken.None));
        Assert.Equal(StoreError.AlreadyExists, exists.Error);

        StoredObject? got = await _store.GetAsync(key, "", CancellationToken.None);
        Assert.Equal(created.ModRevision, got!.ModRevision);
        Assert.Equal(created.ModRevision.ToString(), got.Object["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.NotNull(await _store.GetAsync(key, "0", CancellationToken.None));
        Assert.Null(await _store.GetAsync(_prefix + "missing", "", CancellationToken.None));

        var stale = await Assert.ThrowsAsync<StoreException>(() => _store.UpdateAsync(key, ConfigMap("a", "x"), created.ModRevision - 1, CancellationToken.None));
        Assert.Equal(StoreError.Conflict, stale.Error);
        StoredObject updated = await _store.UpdateAsync(key, ConfigMap("a", "x"), created.ModRevision, CancellationToken.None);
        Assert.True(updated.ModRevision > created.ModRevision);
        Assert.Equal("x", Data(updated));

        // Identical bytes: no write, the revision stays (resourceVersion in the input does not count).
        var same = ConfigMap("a", "x");
        same["metadata"]!["resourceVersion"] = updated.ModRevision.ToString();
        StoredObject noop = await _store.UpdateAsync(key, same, updated.ModRevision, CancellationToken.None);
        Assert.Equal(updated.ModRevision, noop.ModRevision);
        Assert.Equal(updated.ModRevision, (await RawAsync(key))!.ModRevision);

        var wrongDelete = await Assert.ThrowsAsync<StoreException>(() => _store.DeleteAsync(key, created.ModRevision, CancellationToken.None));
        Assert.Equal(StoreError.Conflict, wrongDelete.Error);
        StoredObject deleted = await _store.DeleteAsync(key, updated.ModRevision, CancellationToken.None);
        Assert.Equal("x", Data(deleted));
        Assert.True(deleted.ModRevision > updated.ModRevision);
        Assert.Null(await RawAsync(key));

        Assert.Equal(StoreError.NotFound, (await Assert.ThrowsAsync<StoreException>(() => _store.DeleteAsync(key, null, CancellationToken.None))).Error);
        Assert.Equal(StoreError.NotFound, (await Assert.ThrowsAsync<StoreException>(() => _store.DeleteAsync(key, 5, CancellationToken.None))).Error);
        Assert.Equal(StoreError.NotFound, (await Assert.ThrowsAsync<StoreException>(() => _store.UpdateAsync(key, ConfigMap("a"), 5, CancellationToken.None))).Error);

        StoredObject again = await _store.CreateAsync(key, ConfigMap("a"), 0, CancellationToken.None);
        Assert.Equal(again.ModRevision, (await _store.DeleteAsync(key, null, CancellationToken.None)).ModRevision - 1);
    }

    [Fact]
    public async Task GetAtAFutureResourceVersionIsTooLarge()
    {
        string key = _prefix + "f";
        StoredObject created = await _store.CreateAsync(key, ConfigMap("f"), 0, CancellationToken.None);
        Assert.NotNull(await _store.GetAsync(key, created.ModRevision.ToString(), CancellationToken.None));
        var e = await Assert.ThrowsAsync<StoreException>(() => _store.GetAsync(key, (created.ModRevision + 1000).ToString(), CancellationToken.None));
        Assert.Equal(StoreError.TooLarge, e.Error);
        Assert.StartsWith("Too large resource version", e.Message);
        Assert.Equal(StoreError.BadRequest, (await Assert.ThrowsAsync<StoreException>(() => _store.GetAsync(key, "abc", CancellationToken.None))).Error);
    }

    [Fact]
    public async Task GuaranteedUpdateRetriesUntilEveryWriterGetsThrough()
    {
        string key = _prefix + "counter";
        Assert.Equal(StoreError.NotFound, (await Assert.ThrowsAsync<StoreException>(() =>
            _store.GuaranteedUpdateAsync(key, _ => ConfigMap("counter"), false, CancellationToken.None))).Error);

        StoredObject first = await _store.GuaranteedUpdateAsync(key, current =>
        {
            Assert.Null(current);
            return ConfigMap("counter", "0");
        }, createIfMissing: true, CancellationToken.None);
        Assert.Equal("0", Data(first));

        const int writers = 8;
        var stores = Enumerable.Range(0, writers).Select(_ => new ObjectStore(_kv)).ToArray();
        int calls = 0;
        await Task.WhenAll(stores.Select(s => Task.Run(() => s.GuaranteedUpdateAsync(key, current =>
        {
            Interlocked.Increment(ref calls);
            int n = int.Parse(Data(current!));
            current!.Object["data"]!["k"] = (n + 1).ToString();
            return current.Object;
        }, false, CancellationToken.None))));
        StoredObject final = (await _store.GetAsync(key, "", CancellationToken.None))!;
        Assert.Equal(writers.ToString(), Data(final));
        Assert.True(calls >= writers);

        // An update that changes nothing writes nothing.
        StoredObject same = await _store.GuaranteedUpdateAsync(key, current => current!.Object, false, CancellationToken.None);
        Assert.Equal(final.ModRevision, same.ModRevision);
    }

    [Fact]
    public async Task ListPagesAtOneRevisionWithKubesContinueToken()
    {
        var revisions = new List<long>();
        for (int i = 0; i < 7; i++) revisions.Add((await _store.CreateAsync(_prefix + $"o{i}", ConfigMap($"o{i}", i.ToString()), 0, CancellationToken.None)).ModRevision);
        // a sibling prefix that must not show up
        await _store.CreateAsync(_prefix.TrimEnd('/') + "x/other", ConfigMap("other"), 0, CancellationToken.None);

        ListPage all = await _store.ListAsync(_prefix, "", 0, null, null, CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"o{i}"), all.Items.Select(o => o.Object["metadata"]!["name"]!.GetValue<string>()));
        Assert.Null(all.Continue);
        Assert.Equal(revisions, all.Items.Select(o => o.ModRevision));
        Assert.True(all.Revision >= revisions[^1]);

        ListPage page1 = await _store.ListAsync(_prefix, "", 3, null, null, CancellationToken.None);
        Assert.Equal(["o0", "o1", "o2"], page1.Items.Select(o => o.Object["metadata"]!["name"]!.GetValue<string>()));
        Assert.Equal(4, page1.RemainingItemCount);
        Assert.NotNull(page1.Continue);
        // kube's format, so a kube-apiserver and this facade understand each other's tokens
        string b64 = page1.Continue!.Replace('-', '+').Replace('_', '/');
        var token = JsonNode.Parse(Convert.FromBase64String(b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=')))!.AsObject();
        Assert.Equal("meta.k8s.io/v1", token["v"]!.GetValue<string>());
        Assert.Equal(page1.Revision, token["rv"]!.GetValue<long>());
        Assert.Equal("o2\u0000", token["start"]!.GetValue<string>());

        // Changes after the first page do not show up in later pages: they are read at the first page's revision.
        await _store.CreateAsync(_prefix + "o3a", ConfigMap("o3a"), 0, CancellationToken.None);
        StoredObject o4 = (await _store.GetAsync(_prefix + "o4", "", CancellationToken.None))!;
        await _store.UpdateAsync(_prefix + "o4", ConfigMap("o4", "changed"), o4.ModRevision, CancellationToken.None);

        ListPage page2 = await _store.ListAsync(_prefix, "", 3, page1.Continue, null, CancellationToken.None);
        Assert.Equal(["o3", "o4", "o5"], page2.Items.Select(o => o.Object["metadata"]!["name"]!.GetValue<string>()));
        Assert.Equal("4", Data(page2.Items[1]));
        Assert.Equal(page1.Revision, page2.Revision);
        Assert.Equal(1, page2.RemainingItemCount);
        ListPage page3 = await _store.ListAsync(_prefix, "", 3, page2.Continue, null, CancellationToken.None);
        Assert.Equal(["o6"], page3.Items.Select(o => o.Object["metadata"]!["name"]!.GetValue<string>()));
        Assert.Null(page3.Continue);
        Assert.Null(page3.RemainingItemCount);

        // At an older revision exactly (rv with a limit), and at least a revision (rv without).
        ListPage old = await _store.ListAsync(_prefix, revisions[2].ToString(), 10, null, null, CancellationToken.None);
        Assert.Equal(3, old.Items.Count);
        Assert.Equal(revisions[2], old.Revision);
        ListPage notOlder = await _store.ListAsync(_prefix, revisions[2].ToString(), 0, null, null, CancellationToken.None);
        Assert.Equal(8, notOlder.Items.Count);
    }

    [Fact]
    public async Task ListFiltersBeforeTheLimitAndReadsOn()
    {
        for (int i = 0; i < 20; i++) await _store.CreateAsync(_prefix + $"o{i:D2}", ConfigMap($"o{i:D2}", (i % 5).ToString()), 0, CancellationToken.None);
        Func<JsonObject, bool> zero = o => o["data"]!["k"]!.GetValue<string>() == "0"; // o00, o05, o10, o15

        ListPage page1 = await _store.ListAsync(_prefix, "", 3, null, zero, CancellationToken.None);
        Assert.Equal(["o00", "o05", "o10"], page1.Items.Select(o => o.Object["metadata"]!["name"]!.GetValue<string>()));
        Assert.NotNull(page1.Continue);
        Assert.Null(page1.RemainingItemCount); // unknown under a filter, as kube leaves it
        ListPage page2 = await _store.ListAsync(_prefix, "", 3, page1.Continue, zero, CancellationToken.None);
        Assert.Equal(["o15"], page2.Items.Select(o => o.Object["metadata"]!["name"]!.GetValue<string>()));
        Assert.Null(page2.Continue);
    }

    [Fact]
    public async Task AnInvalidContinueTokenIsABadRequest()
    {
        foreach (string bad in new[] { "!!!", Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"v\":\"x\",\"rv\":1,\"start\":\"a\"}")),
                     Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"v\":\"meta.k8s.io/v1\",\"rv\":0,\"start\":\"a\"}")),
                     Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"v\":\"meta.k8s.io/v1\",\"rv\":5,\"start\":\"../../secrets/\"}")) })
        {
            var e = await Assert.ThrowsAsync<StoreException>(() => _store.ListAsync(_prefix, "", 10, bad, null, CancellationToken.None));
            Assert.Equal(StoreError.BadRequest, e.Error);
            Assert.StartsWith("invalid continue token: continue key is not valid", e.Message);
        }

        await _store.CreateAsync(_prefix + "a", ConfigMap("a"), 0, CancellationToken.None);
        await _store.CreateAsync(_prefix + "b", ConfigMap("b"), 0, CancellationToken.None);
        ListPage page = await _store.ListAsync(_prefix, "", 1, null, null, CancellationToken.None);
        var withRv = await Assert.ThrowsAsync<StoreException>(() => _store.ListAsync(_prefix, page.Revision.ToString(), 1, page.Continue, null, CancellationToken.None));
        Assert.Equal(StoreError.BadRequest, withRv.Error);
        Assert.Equal("specifying resource version is not allowed when using continue", withRv.Message);
        Assert.Single((await _store.ListAsync(_prefix, "0", 1, page.Continue, null, CancellationToken.None)).Items);
    }

    /// <summary>The watch cache the facade serves watches of <paramref name="prefix"/> from, listed.</summary>
    private async Task<WatchCache> CacheAsync(WatchCaches caches, string prefix)
    {
        var cache = caches.For(new CachedResource(prefix, "v1", _ => { }, _ => ObjectAttributes.None));
        using var cts = new CancellationTokenSource(Wait);
        await cache.WaitReadyAsync(cts.Token);
        return cache;
    }

    /// <summary>An event as the watch delivers it, its object read back as the store's.</summary>
    private sealed record Seen(StoreEventType Type, StoredObject? Object, long Revision);

    private static async IAsyncEnumerable<Seen> Events(CacheWatcher watcher, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (WatchEvent e in watcher.ReadAllAsync(cancellationToken)) yield return new Seen(e.Type, e.Object?.ToStored(), e.Revision);
    }

    [Fact]
    public async Task WatchTranslatesEtcdEventsAsKubesWatcher()
    {
        await using var caches = new WatchCaches(_kv, TimeProvider.System, null);
        WatchCache cache = await CacheAsync(caches, _prefix);
        StoredObject a = await _store.CreateAsync(_prefix + "a", ConfigMap("a"), 0, CancellationToken.None);
        using var cts = new CancellationTokenSource(Wait);
        using CacheWatcher watcher = await cache.WatchAsync(new CacheWatchRequest(_prefix, null, a.ModRevision, false, 0, false, false, null), cts.Token);
        await using IAsyncEnumerator<Seen> watch = Events(watcher, cts.Token).GetAsyncEnumerator(cts.Token);
        Task<bool> first = watch.MoveNextAsync().AsTask();

        StoredObject a2 = await _store.UpdateAsync(_prefix + "a", ConfigMap("a", "2"), a.ModRevision, CancellationToken.None);
        StoredObject b = await _store.CreateAsync(_prefix + "b", ConfigMap("b"), 0, CancellationToken.None);
        await _store.CreateAsync(_prefix.TrimEnd('/') + "x/c", ConfigMap("c"), 0, CancellationToken.None); // outside the prefix
        StoredObject aGone = await _store.DeleteAsync(_prefix + "a", null, CancellationToken.None);

        Assert.True(await first);
        var events = new List<Seen> { watch.Current };
        while (events.Count < 3 && await watch.MoveNextAsync()) events.Add(watch.Current);
        Assert.Equal([StoreEventType.Modified, StoreEventType.Added, StoreEventType.Deleted], events.Select(e => e.Type));
        Assert.Equal([a2.ModRevision, b.ModRevision, aGone.ModRevision], events.Select(e => e.Revision));
        Assert.Equal("2", Data(events[0].Object!));
        Assert.Equal(a2.ModRevision.ToString(), events[0].Object!.Object["metadata"]!["resourceVersion"]!.GetValue<string>());
        // Deleted: the last state, at the delete's revision
        Assert.Equal("2", Data(events[2].Object!));
        Assert.Equal(aGone.ModRevision, events[2].Object!.ModRevision);
        Assert.Equal(aGone.ModRevision.ToString(), events[2].Object!.Object["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task WatchFromZeroStartsWithTheCurrentObjects()
    {
        await using var caches = new WatchCaches(_kv, TimeProvider.System, null);
        WatchCache cache = await CacheAsync(caches, _prefix);
        await _store.CreateAsync(_prefix + "a", ConfigMap("a"), 0, CancellationToken.None);
        StoredObject b = await _store.CreateAsync(_prefix + "b", ConfigMap("b"), 0, CancellationToken.None);
        using var cts = new CancellationTokenSource(Wait);
        using CacheWatcher watcher = await cache.WatchAsync(new CacheWatchRequest(_prefix, null, 0, true, b.ModRevision, false, false, null), cts.Token);
        await using IAsyncEnumerator<Seen> watch = Events(watcher, cts.Token).GetAsyncEnumerator(cts.Token);
        var events = new List<Seen>();
        while (events.Count < 2 && await watch.MoveNextAsync()) events.Add(watch.Current);
        Assert.All(events, e => Assert.Equal(StoreEventType.Added, e.Type));
        Assert.Equal(["a", "b"], events.Select(e => e.Object!.Object["metadata"]!["name"]!.GetValue<string>()));

        await _store.UpdateAsync(_prefix + "b", ConfigMap("b", "2"), b.ModRevision, CancellationToken.None);
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(StoreEventType.Modified, watch.Current.Type);
        Assert.Equal("b", watch.Current.Object!.Object["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task WatchOnOneKeySeesOnlyThatKey()
    {
        await using var caches = new WatchCaches(_kv, TimeProvider.System, null);
        WatchCache cache = await CacheAsync(caches, _prefix);
        StoredObject a = await _store.CreateAsync(_prefix + "a", ConfigMap("a"), 0, CancellationToken.None);
        using var cts = new CancellationTokenSource(Wait);
        using CacheWatcher watcher = await cache.WatchAsync(new CacheWatchRequest(_prefix + "a", null, a.ModRevision, false, 0, false, false, null), cts.Token);
        await using IAsyncEnumerator<Seen> watch = Events(watcher, cts.Token).GetAsyncEnumerator(cts.Token);
        await _store.CreateAsync(_prefix + "ab", ConfigMap("ab"), 0, CancellationToken.None);
        StoredObject a2 = await _store.UpdateAsync(_prefix + "a", ConfigMap("a", "2"), a.ModRevision, CancellationToken.None);
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(a2.ModRevision, watch.Current.Revision);
    }

    [Fact]
    public async Task BookmarksReportProgressWithoutEvents()
    {
        await using var caches = new WatchCaches(_kv, TimeProvider.System, null);
        WatchCache cache = await CacheAsync(caches, _prefix);
        StoredObject a = await _store.CreateAsync(_prefix + "a", ConfigMap("a"), 0, CancellationToken.None);
        using var cts = new CancellationTokenSource(Wait);
        // kube's bookmark two seconds before the watch's deadline: here within the first second
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(2.5);
        using CacheWatcher watcher = await cache.WatchAsync(new CacheWatchRequest(_prefix, null, a.ModRevision, false, 0, false, true, deadline), cts.Token);
        await using IAsyncEnumerator<Seen> watch = Events(watcher, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(StoreEventType.Bookmark, watch.Current.Type);
        Assert.Null(watch.Current.Object);
        Assert.True(watch.Current.Revision >= a.ModRevision);
    }

    [Fact]
    public async Task ABookmarkAfterTheInitialObjectsIsAtLeastTheirListsRevision()
    {
        await using var caches = new WatchCaches(_kv, TimeProvider.System, null);
        WatchCache cache = await CacheAsync(caches, _prefix);
        await _store.CreateAsync(_prefix + "a", ConfigMap("a"), 0, CancellationToken.None);
        StoredObject b = await _store.CreateAsync(_prefix + "b", ConfigMap("b"), 0, CancellationToken.None);
        StoredObject later = await _store.CreateAsync(_prefix.TrimEnd('/') + "x/c", ConfigMap("c"), 0, CancellationToken.None); // outside
        using var cts = new CancellationTokenSource(Wait);
        // the watch-list's initial-events-end bookmark, from a cache at least as fresh as the write outside its prefix
        using CacheWatcher watcher = await cache.WatchAsync(new CacheWatchRequest(_prefix, null, 0, true, later.ModRevision, true, true, null), cts.Token);
        await using IAsyncEnumerator<Seen> watch = Events(watcher, cts.Token).GetAsyncEnumerator(cts.Token);
        var events = new List<Seen>();
        while (events.Count < 3 && await watch.MoveNextAsync()) events.Add(watch.Current);
        Assert.Equal([StoreEventType.Added, StoreEventType.Added, StoreEventType.Bookmark], events.Select(e => e.Type));
        Assert.Equal(b.ModRevision, events[1].Revision);
        Assert.True(events[2].Revision >= later.ModRevision, $"bookmark at {events[2].Revision}, the list was read after {later.ModRevision}");
    }

    [Fact]
    public async Task EventsShareOneLease()
    {
        // kube's leaseManager: an hour's TTL is granted 60 s longer (5%, at most 60 s) and reused within that slack.
        StoredObject e1 = await _store.CreateAsync(_prefix + "e1", ConfigMap("e1"), 3600, CancellationToken.None);
        StoredObject e2 = await _store.CreateAsync(_prefix + "e2", ConfigMap("e2"), 3600, CancellationToken.None);
        Mvccpb.KeyValue r1 = (await RawAsync(e1.Key))!;
        Mvccpb.KeyValue r2 = (await RawAsync(e2.Key))!;
        Assert.NotEqual(0, r1.Lease);
        Assert.Equal(r1.Lease, r2.Lease);
        // an update keeps the lease
        await _store.UpdateAsync(e1.Key, ConfigMap("e1", "2"), e1.ModRevision, CancellationToken.None);
        Assert.Equal(r1.Lease, (await RawAsync(e1.Key))!.Lease);
        // a different TTL cannot use it
        StoredObject e3 = await _store.CreateAsync(_prefix + "e3", ConfigMap("e3"), 60, CancellationToken.None);
        Assert.NotEqual(r1.Lease, (await RawAsync(e3.Key))!.Lease);
    }

    [Fact]
    public async Task ObjectsWithATtlExpire()
    {
        StoredObject e1 = await _store.CreateAsync(_prefix + "e1", ConfigMap("e1"), 1, CancellationToken.None);
        Assert.NotEqual(0, (await RawAsync(e1.Key))!.Lease);
        DateTime deadline = DateTime.UtcNow + Wait;
        while (await RawAsync(e1.Key) is not null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the object's lease did not expire");
            await Task.Delay(200);
        }
    }
}
