using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Mvccpb;

namespace KvStore.Cluster.Tests;

/// <summary>A cluster shared by the tests of one class; each test uses keys of its own.</summary>
public abstract class ClusterFixture(int size) : IAsyncLifetime
{
    internal TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync(size);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

public sealed class OneMemberCluster() : ClusterFixture(1);

public sealed class ThreeMemberCluster() : ClusterFixture(3);

/// <summary>The KV/watch/lease tests on a cluster of one member.</summary>
public sealed class OneMemberKvWatchLeaseTests(OneMemberCluster fixture)
    : KvWatchLeaseTests<OneMemberCluster>(fixture), IClassFixture<OneMemberCluster>;

/// <summary>The same tests on three members: every member serves every request.</summary>
public sealed class ThreeMemberKvWatchLeaseTests(ThreeMemberCluster fixture)
    : KvWatchLeaseTests<ThreeMemberCluster>(fixture), IClassFixture<ThreeMemberCluster>;

/// <summary>
/// One set of KV, watch and lease tests, run against a 1-member and a 3-member cluster (etcd's
/// integration tests run each body on clusters of both sizes). Requests go to each member in turn.
/// </summary>
public abstract class KvWatchLeaseTests<TFixture>(TFixture fixture) where TFixture : ClusterFixture
{
    private TestCluster Cluster => fixture.Cluster;

    /// <summary>A client that starts on <paramref name="member"/> (and fails over only if it must).</summary>
    private ClusterClient On(int member) => new(Cluster.Members, member);

    private string Prefix([System.Runtime.CompilerServices.CallerMemberName] string test = "") => $"/{test}/";

    [Fact]
    public async Task PutOnOneMemberIsReadOnEveryMember()
    {
        string p = Prefix();
        var put = await On(0).PutAsync(p + "a", "1");
        foreach (var m in Cluster.Members)
        {
            // Straight to each member (no failover): a follower serves the linearizable read itself.
            var got = await m.RetryingKv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(p + "a") }, deadline: DateTime.UtcNow.AddSeconds(30));
            Assert.Equal("1", Assert.Single(got.Kvs).Value.ToStringUtf8());
            Assert.True(got.Header.Revision >= put.Header.Revision, $"{m.Name} read at revision {got.Header.Revision} < {put.Header.Revision}");
        }
    }

    [Fact]
    public async Task TxnAndDeleteFromDifferentMembers()
    {
        string p = Prefix();
        int last = Cluster.Members.Count - 1;
        await On(0).PutAsync(p + "k", "old");
        var txn = new TxnRequest
        {
            Compare = { new Compare { Key = ByteString.CopyFromUtf8(p + "k"), Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = ByteString.CopyFromUtf8("old") } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8(p + "k"), Value = ByteString.CopyFromUtf8("new") } } },
        };
        var members = Cluster.Members;
        Assert.True((await members[last].RetryingKv.TxnAsync(txn, deadline: DateTime.UtcNow.AddSeconds(30))).Succeeded);
        Assert.False((await members[last].RetryingKv.TxnAsync(txn, deadline: DateTime.UtcNow.AddSeconds(30))).Succeeded); // no longer "old"
        Assert.Equal("new", Assert.Single((await On(0).GetAsync(p + "k")).Kvs).Value.ToStringUtf8());

        var deleted = await members[Math.Min(1, last)].RetryingKv.DeleteRangeAsync(new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(p + "k") },
            deadline: DateTime.UtcNow.AddSeconds(30));
        Assert.Equal(1, deleted.Deleted);
        foreach (var m in Cluster.Members)
        {
            Assert.Empty((await On(m.Index).GetAsync(p + "k")).Kvs);
        }
    }

    [Fact]
    public async Task WatchOnEveryMemberSeesTheSameEvents()
    {
        string p = Prefix();
        var watches = new List<(ClusterMember Member, AsyncDuplexStreamingCall<WatchRequest, WatchResponse> Call)>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            foreach (var m in Cluster.Members)
            {
                var call = m.Watch.Watch(cancellationToken: cts.Token);
                await call.RequestStream.WriteAsync(new WatchRequest
                {
                    CreateRequest = new WatchCreateRequest { Key = ByteString.CopyFromUtf8(p), RangeEnd = ClusterClient.PrefixEnd(p), PrevKv = true },
                });
                Assert.True(await call.ResponseStream.MoveNext(cts.Token));
                Assert.True(call.ResponseStream.Current.Created, $"{m.Name}: {call.ResponseStream.Current}");
                watches.Add((m, call));
            }

            var client = On(0);
            await client.PutAsync(p + "x", "1");
            await client.PutAsync(p + "y", "2");
            await On(Cluster.Members.Count - 1).PutAsync(p + "x", "3");
            await client.DeleteAsync(p + "y");

            var seen = new List<string>();
            foreach (var (m, call) in watches)
            {
                var events = new List<string>();
                while (events.Count < 4)
                {
                    Assert.True(await call.ResponseStream.MoveNext(cts.Token), $"{m.Name}'s watch ended");
                    events.AddRange(call.ResponseStream.Current.Events.Select(e =>
                        $"{e.Type} {e.Kv.Key.ToStringUtf8()}={e.Kv.Value.ToStringUtf8()}@{e.Kv.ModRevision} prev={e.PrevKv?.Value.ToStringUtf8()}"));
                }
                seen.Add(string.Join("; ", events));
            }
            Assert.Equal(4, seen[0].Split("; ").Length);
            Assert.StartsWith($"Put {p}x=1@", seen[0], StringComparison.Ordinal);
            Assert.All(seen, s => Assert.Equal(seen[0], s));
        }
        finally
        {
            foreach (var (_, call) in watches)
            {
                call.Dispose();
            }
        }
    }

    [Fact]
    public async Task LeaseKeepAliveThroughEveryMemberThenRevoke()
    {
        string p = Prefix();
        var client = On(0);
        var grant = await client.CallAsync((m, d) => m.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 30 }, deadline: d).ResponseAsync, TimeSpan.FromSeconds(60));
        await client.PutAsync(p + "session", "alive", grant.ID);

        foreach (var m in Cluster.Members)
        {
            // Straight to each member (no failover): a follower forwards the keep-alive to the leader.
            var kept = await m.KeepAliveOnceAsync(grant.ID, TimeSpan.FromSeconds(30));
            Assert.Equal(grant.ID, kept.ID);
            Assert.Equal(30, kept.TTL);
        }

        var ttl = await On(Cluster.Members.Count - 1).CallAsync((m, d) =>
            m.Lease.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = grant.ID, Keys = true }, deadline: d).ResponseAsync, TimeSpan.FromSeconds(60));
        Assert.InRange(ttl.TTL, 1, 30);
        Assert.Equal(p + "session", Assert.Single(ttl.Keys).ToStringUtf8());

        await On(Cluster.Members.Count - 1).CallAsync((m, d) =>
            m.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = grant.ID }, deadline: d).ResponseAsync, TimeSpan.FromSeconds(60));
        foreach (var m in Cluster.Members)
        {
            Assert.Empty((await On(m.Index).GetAsync(p + "session")).Kvs);
        }
    }

    [Fact]
    public async Task LeaseExpiresOnceOnEveryMember()
    {
        string p = Prefix();
        var client = On(0);
        var grant = await client.CallAsync((m, d) => m.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 2 }, deadline: d).ResponseAsync, TimeSpan.FromSeconds(60));
        var put = await client.PutAsync(p + "ephemeral", "x", grant.ID);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var deletes = new List<string>();
        foreach (var m in Cluster.Members)
        {
            // From the put's revision: the expiry may come before the watch is set up.
            using var call = m.Watch.Watch(cancellationToken: cts.Token);
            await call.RequestStream.WriteAsync(new WatchRequest
            {
                CreateRequest = new WatchCreateRequest { Key = ByteString.CopyFromUtf8(p), RangeEnd = ClusterClient.PrefixEnd(p), StartRevision = put.Header.Revision },
            });
            var events = new List<Event>();
            while (!events.Any(e => e.Type == Event.Types.EventType.Delete))
            {
                Assert.True(await call.ResponseStream.MoveNext(cts.Token), $"{m.Name}'s watch ended");
                events.AddRange(call.ResponseStream.Current.Events);
            }
            Assert.Single(events, e => e.Type == Event.Types.EventType.Delete);
            deletes.Add(string.Join(",", events.Select(e => $"{e.Type}@{e.Kv.ModRevision}")));
        }
        Assert.All(deletes, d => Assert.Equal(deletes[0], d));
        foreach (var m in Cluster.Members)
        {
            Assert.Empty((await On(m.Index).GetAsync(p + "ephemeral")).Kvs);
        }
    }
}
