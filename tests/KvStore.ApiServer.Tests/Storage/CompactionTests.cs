using System.Text.Json.Nodes;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using KvStore.ApiServer.Storage;
using KvStore.ApiServer.Storage.Cache;

namespace KvStore.ApiServer.Tests.Storage;

public sealed class CompactionEmbeddedTests(EmbeddedBackend backend) : CompactionTests(backend), IClassFixture<EmbeddedBackend>;

public sealed class CompactionEtcdTests(EtcdBackend backend) : CompactionTests(backend), IClassFixture<EtcdBackend>;

/// <summary>
/// kube-apiserver's compactor (several apiservers compact once per interval, one interval behind) and what a compacted
/// revision does to reads, lists and watches. Tests compact the class's shared store; they run
/// one at a time within a class and only use revisions they wrote themselves.
/// </summary>
public abstract class CompactionTests(IStoreBackend backend)
{
    private readonly IKeyValue _kv = backend.Kv;
    private readonly ObjectStore _store = new(backend.Kv);
    private readonly string _prefix = $"/registry/configmaps/c{Guid.NewGuid():N}/";

    private static JsonObject ConfigMap(string name) => new()
    {
        ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = name },
    };

    private async Task<long> CompactToCurrentAsync()
    {
        StoredObject marker = await _store.CreateAsync(_prefix + "marker-" + Guid.NewGuid().ToString("N"), ConfigMap("m"), 0, CancellationToken.None);
        await _kv.CompactAsync(new CompactionRequest { Revision = marker.ModRevision, Physical = true }, CancellationToken.None);
        return marker.ModRevision;
    }

    [Fact]
    public async Task TwoCompactorsCompactOncePerRoundOneRoundBehind()
    {
        await using var a = new Compactor(_kv);
        await using var b = new Compactor(_kv);
        RangeResponse before = await _kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(Compactor.CompactRevKey) }, CancellationToken.None);
        long startVersion = before.Kvs.SingleOrDefault()?.Version ?? 0;

        // Round 1: a sees the key at its time (0) only if no one used the key yet; both learn the current time and revision.
        await a.CompactOnceAsync(CancellationToken.None);
        await b.CompactOnceAsync(CancellationToken.None);
        Assert.Equal(a.Time, b.Time);
        long round1Revision = a.Revision;

        await _store.CreateAsync(_prefix + "x", ConfigMap("x"), 0, CancellationToken.None);

        // Round 2: the first to try wins the CAS (the other now holds a stale time) and compacts to what it saw in round 1.
        Assert.True(await a.CompactOnceAsync(CancellationToken.None));
        Assert.False(await b.CompactOnceAsync(CancellationToken.None));
        Assert.Equal(a.Time, b.Time);
        RangeResponse key = await _kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(Compactor.CompactRevKey) }, CancellationToken.None);
        Assert.True(key.Kvs[0].Version > startVersion);
        Assert.Equal(key.Kvs[0].Version, a.Time);
        Assert.Equal(round1Revision.ToString(), key.Kvs[0].Value.ToStringUtf8());

        await _kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("x"), Revision = round1Revision }, CancellationToken.None);
        var e = await Assert.ThrowsAsync<RpcException>(() => _kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("x"), Revision = round1Revision - 1 }, CancellationToken.None));
        Assert.Contains("compacted", e.Status.Detail);
    }

    [Fact]
    public async Task AStartedCompactorRunsOnItsInterval()
    {
        await using Compactor compactor = Compactor.Start(_kv, TimeSpan.FromMilliseconds(200));
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        long old = (await _store.CreateAsync(_prefix + "old", ConfigMap("old"), 0, CancellationToken.None)).ModRevision;
        while (true)
        {
            await _store.CreateAsync(_prefix + Guid.NewGuid().ToString("N"), ConfigMap("n"), 0, CancellationToken.None);
            try
            {
                await _kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("x"), Revision = old }, CancellationToken.None);
            }
            catch (RpcException e) when (e.Status.Detail.Contains("compacted"))
            {
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, "no compaction within a minute");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task ACompactedResourceVersionIsExpired()
    {
        StoredObject a = await _store.CreateAsync(_prefix + "a", ConfigMap("a"), 0, CancellationToken.None);
        await _store.CreateAsync(_prefix + "b", ConfigMap("b"), 0, CancellationToken.None);
        await _store.CreateAsync(_prefix + "c", ConfigMap("c"), 0, CancellationToken.None);
        ListPage page1 = await _store.ListAsync(_prefix, "", 1, null, null, CancellationToken.None);
        await CompactToCurrentAsync();

        // a watch is served by the watch cache, which lists after the compaction: kube's cacher answer for an older revision
        await using var caches = new WatchCaches(_kv, TimeProvider.System, null);
        var cache = caches.For(new CachedResource(_prefix, "v1", _ => { }, _ => ObjectAttributes.None));
        await cache.WaitReadyAsync(CancellationToken.None);
        var watch = await Assert.ThrowsAsync<StoreException>(() =>
            cache.WatchAsync(new CacheWatchRequest(_prefix, null, a.ModRevision - 1, false, 0, false, false, null), CancellationToken.None));
        Assert.Equal(StoreError.Expired, watch.Error);
        Assert.Equal($"too old resource version: {a.ModRevision - 1} ({cache.Revision})", watch.Message);

        var list = await Assert.ThrowsAsync<StoreException>(() => _store.ListAsync(_prefix, a.ModRevision.ToString(), 10, null, null, CancellationToken.None));
        Assert.Equal(StoreError.Expired, list.Error);
        Assert.Equal("The resourceVersion for the provided list is too old.", list.Message);
        Assert.Null(list.Continue);

        // A compacted continue token: Expired, with kube's token that continues at the latest revision.
        var next = await Assert.ThrowsAsync<StoreException>(() => _store.ListAsync(_prefix, "", 1, page1.Continue, null, CancellationToken.None));
        Assert.Equal(StoreError.Expired, next.Error);
        Assert.StartsWith("The provided continue parameter is too old", next.Message);
        Assert.NotNull(next.Continue);
        ListPage rest = await _store.ListAsync(_prefix, "", 10, next.Continue, null, CancellationToken.None);
        Assert.Equal("b", rest.Items[0].Object["metadata"]!["name"]!.GetValue<string>());
        Assert.True(rest.Revision > page1.Revision);
    }
}
