using System.Text.Json.Nodes;
using Etcdserverpb;
using KvStore.ApiServer.Storage;
using KvStore.ApiServer.Storage.Cache;

namespace KvStore.ApiServer.Tests.Storage;

/// <summary>A 3-member real etcd cluster, for what only a cluster can show: failing over between endpoints.</summary>
public sealed class EtcdClusterFixture : IAsyncLifetime
{
    public List<EtcdProcess> Members { get; } = [];

    public async Task InitializeAsync()
    {
        var clients = new[] { Ports.Free(), Ports.Free(), Ports.Free() };
        var peers = new[] { Ports.Free(), Ports.Free(), Ports.Free() };
        string cluster = string.Join(",", Enumerable.Range(0, 3).Select(i => $"m{i}=http://127.0.0.1:{peers[i]}"));
        string token = Guid.NewGuid().ToString("N");
        for (int i = 0; i < 3; i++)
        {
            Members.Add(EtcdProcess.Launch($"m{i}", clients[i], peers[i], cluster,
                ["--initial-cluster-token", token, "--heartbeat-interval", "50", "--election-timeout", "500"]));
        }
        foreach (EtcdProcess m in Members) await m.WaitReadyAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (EtcdProcess m in Members) await m.DisposeAsync();
    }
}

/// <summary>GrpcKeyValue over an endpoint list, as clientv3 behaves for kube-apiserver's --etcd-servers.</summary>
public sealed class GrpcKeyValueFailoverTests(EtcdClusterFixture cluster) : IClassFixture<EtcdClusterFixture>
{
    private static JsonObject ConfigMap(string name) => new()
    {
        ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = name },
    };

    [Fact]
    public async Task AnUnreachableEndpointIsSkipped()
    {
        var dead = new Uri($"http://127.0.0.1:{Ports.Free()}");
        var live = new Uri(cluster.Members.First(m => !m.Stopped).ClientUrl);
        await using var kv = new GrpcKeyValue([dead, live]);
        var store = new ObjectStore(kv);
        StoredObject created = await store.CreateAsync($"/registry/configmaps/f{Guid.NewGuid():N}/a", ConfigMap("a"), 0, CancellationToken.None);
        Assert.True(created.ModRevision > 0);
        Assert.Equal(live, kv.CurrentEndpoint);

        await using var none = new GrpcKeyValue([dead]) { RetryBudget = TimeSpan.FromSeconds(1) };
        var e = await Assert.ThrowsAsync<StoreException>(() => new ObjectStore(none).GetAsync("/registry/x", "", CancellationToken.None));
        Assert.Equal(StoreError.Unavailable, e.Error);
    }

    [Fact]
    public async Task CallsAndWatchesMoveOnWhenTheirMemberDies()
    {
        // Kills one member; the other test of the class uses a live one, and 2 of 3 keep the quorum.
        await using GrpcKeyValue kv = GrpcKeyValue.Parse(string.Join(",", cluster.Members.Select(m => m.ClientUrl)));
        var store = new ObjectStore(kv);
        string prefix = $"/registry/configmaps/f{Guid.NewGuid():N}/";
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        // the facade's watches: a watch cache over the store, whose one store watch moves to another member
        await using var caches = new WatchCaches(kv, TimeProvider.System, null);
        var cache = caches.For(new CachedResource(prefix, "v1", _ => { }, _ => ObjectAttributes.None));
        await cache.WaitReadyAsync(cts.Token);
        StoredObject first = await store.CreateAsync(prefix + "0", ConfigMap("0"), 0, CancellationToken.None);
        Uri before = kv.CurrentEndpoint;

        using CacheWatcher watcher = await cache.WatchAsync(new CacheWatchRequest(prefix, null, first.ModRevision, false, 0, false, false, null), cts.Token);
        await using IAsyncEnumerator<WatchEvent> watch = watcher.ReadAllAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        StoredObject second = await store.CreateAsync(prefix + "1", ConfigMap("1"), 0, CancellationToken.None);
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(second.ModRevision, watch.Current.Revision);

        await cluster.Members.Single(m => new Uri(m.ClientUrl) == before).DisposeAsync();

        var written = new List<long>();
        for (int i = 2; i < 6; i++) written.Add((await store.CreateAsync(prefix + i, ConfigMap(i.ToString()), 0, cts.Token)).ModRevision);
        Assert.NotEqual(before, kv.CurrentEndpoint);

        var seen = new List<long>();
        while (seen.Count < written.Count && await watch.MoveNextAsync()) seen.Add(watch.Current.Revision);
        Assert.Equal(written, seen);
    }
}
