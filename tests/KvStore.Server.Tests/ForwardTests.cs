using Etcdserverpb;
using Google.Protobuf;
using Grpc.Net.Client;
using KvStore.Mvcc;
using KvStore.Server.Replication;

namespace KvStore.Server.Tests;

/// <summary>
/// Every member of a 3-member cluster serves every request: followers forward proposals, linearizable reads
/// and lease calls to the leader (in process: three EtcdServers with their gRPC endpoints on loopback).
/// </summary>
public class ForwardTests
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static InternalRaftRequest Put(string key, string value, long lease = 0) =>
        new() { Put = new PutRequest { Key = B(key), Value = B(value), Lease = lease } };

    private static string? Get(EtcdServer member, string key) =>
        member.Store.Range(new RangeRequest { Key = B(key) }).Response is { Kvs: [var kv] } ? kv.Value.ToStringUtf8() : null;

    private static int Follower(TestCluster c, int leader, int nth = 0) => c.Running.Where(i => i != leader).ElementAt(nth);

    [Fact]
    public async Task PutOnAFollowerIsAppliedOnEveryMember()
    {
        await using var c = await TestCluster.StartAsync();
        int leader = await c.WaitForLeaderAsync();
        int follower = Follower(c, leader);

        ProposeResult r = await c.ProposeAsync(follower, Put("k", "from-follower"));
        Assert.True(r.Ok, $"{r.Error} {r.MvccError}");
        var put = Assert.IsType<PutResponse>(r.Response);
        Assert.Equal(2, put.Header.Revision);
        // answered once applied on the follower too (as etcd): a serializable read there sees the write at once
        Assert.Equal("from-follower", Get(c[follower], "k"));
        for (int n = 0; n < 20; n++)
        {
            ProposeResult again = await c.ProposeAsync(follower, Put("k", "v" + n));
            Assert.Equal(((PutResponse)again.Response!).Header.Revision, c[follower].Store.CurrentRevision);
        }

        foreach (int i in c.Running)
        {
            Assert.Equal(ServerError.None, await c[i].ReadIndexAsync(default));
            Assert.Equal("v19", Get(c[i], "k"));
            Assert.Equal(22, c[i].Store.CurrentRevision);
        }
    }

    [Fact]
    public async Task ConcurrentProposalsOnFollowersAreEachAppliedOnce()
    {
        await using var c = await TestCluster.StartAsync();
        int leader = await c.WaitForLeaderAsync();
        // 300 puts spread over all members, most through followers: batched, forwarded, none lost or doubled.
        var results = await Task.WhenAll(Enumerable.Range(0, 300).Select(i => c[i % 3].ProposeAsync(Put("c" + i, "v" + i), default)));
        Assert.All(results, r => Assert.True(r.Ok, $"{r.Error} {r.MvccError}"));
        var revisions = results.Select(r => ((PutResponse)r.Response!).Header.Revision).ToList();
        Assert.Equal(300, revisions.Distinct().Count());
        foreach (int i in c.Running)
        {
            Assert.Equal(ServerError.None, await c[i].ReadIndexAsync(default));
            Assert.Equal(301, c[i].Store.CurrentRevision); // one revision per put: nothing applied twice
        }
        Assert.Equal(c[leader].Store.HashKV(0).Value.Hash, c[Follower(c, leader)].Store.HashKV(0).Value.Hash);
    }

    [Fact]
    public async Task TxnAndErrorsComeBackThroughAFollower()
    {
        await using var c = await TestCluster.StartAsync();
        int follower = Follower(c, await c.WaitForLeaderAsync());
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare
        {
            Key = B("t"), Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Equal, Version = 0,
        });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = B("t"), Value = B("1") } });
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = B("t") } });
        ProposeResult first = await c[follower].ProposeAsync(new InternalRaftRequest { Txn = txn.Clone() }, default);
        Assert.True(Assert.IsType<TxnResponse>(first.Response).Succeeded);
        ProposeResult second = await c[follower].ProposeAsync(new InternalRaftRequest { Txn = txn.Clone() }, default);
        var failed = Assert.IsType<TxnResponse>(second.Response);
        Assert.False(failed.Succeeded);
        Assert.Equal("1", failed.Responses[0].ResponseRange.Kvs[0].Value.ToStringUtf8());

        // an engine error travels back as the engine's error
        ProposeResult missingLease = await c[follower].ProposeAsync(Put("x", "y", lease: 777), default);
        Assert.Equal(MvccError.LeaseNotFound, missingLease.MvccError);
    }

    [Fact]
    public async Task LinearizableReadOnAFollowerSeesAWriteMadeOnAnotherMember()
    {
        await using var c = await TestCluster.StartAsync();
        int leader = await c.WaitForLeaderAsync();
        int writer = Follower(c, leader, 0), reader = Follower(c, leader, 1);
        for (int n = 0; n < 30; n++)
        {
            int via = n % 2 == 0 ? writer : leader;
            Assert.True((await c[via].ProposeAsync(Put("lin", "v" + n), default)).Ok);
            // concurrent reads share rounds; each must see the write that finished before it started
            var reads = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => c[reader].ReadIndexAsync(default)));
            Assert.All(reads, e => Assert.Equal(ServerError.None, e));
            Assert.Equal("v" + n, Get(c[reader], "lin"));
        }
    }

    [Fact]
    public async Task LeaseKeepAliveAndTimeToLiveThroughAFollower()
    {
        await using var c = await TestCluster.StartAsync();
        int follower = Follower(c, await c.WaitForLeaderAsync());
        var grantRequest = new InternalRaftRequest { LeaseGrant = new LeaseGrantRequest { ID = 42, TTL = 30 } };
        ProposeResult grant = await c[follower].ProposeAsync(grantRequest, default);
        Assert.True(grant.Ok, $"{grant.Error} {grant.MvccError}");

        var (renewed, mvccError, error) = await c[follower].LessorRenewAsync(42, default);
        Assert.Equal(ServerError.None, error);
        Assert.Equal(MvccError.None, mvccError);
        Assert.Equal(30, renewed!.TTL);

        var (ttl, ttlMvcc, ttlError) = await c[follower].LessorTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = 42 }, default);
        Assert.Equal(ServerError.None, ttlError);
        Assert.Equal(MvccError.None, ttlMvcc);
        Assert.InRange(ttl!.TTL, 1, 30);
        Assert.Equal(30, ttl.GrantedTTL);

        var (_, missing, missingError) = await c[follower].LessorRenewAsync(4242, default);
        Assert.Equal(ServerError.None, missingError);
        Assert.Equal(MvccError.LeaseNotFound, missing);
    }

    [Fact]
    public async Task EveryMemberReportsTheLeaderAndTheClientUrlsOfAllMembers()
    {
        await using var c = await TestCluster.StartAsync();
        int leader = await c.WaitForLeaderAsync();
        ulong leaderId = c[leader].MemberId;
        foreach (int i in c.Running)
        {
            Assert.Equal(leaderId, c[i].LeaderId);
            await TestCluster.EventuallyAsync(() => c[i].Members.All(m => m.ClientUrls.Count == 1), $"member {i} knows every client URL");
            Assert.Equal(
                Enumerable.Range(0, 3).Select(c.ClientUrl).Order(),
                c[i].Members.Select(m => m.ClientUrls[0]).Order());
            Assert.Equal(3, c[i].Members.Select(m => m.Id).Distinct().Count());
        }
        // followers' raft term and applied index follow the leader's
        Assert.True((await c.ProposeAsync(leader, Put("a", "b"))).Ok);
        long leaderApplied = c[leader].AppliedIndex;
        foreach (int i in c.Running)
        {
            Assert.Equal(ServerError.None, await c[i].ReadIndexAsync(default));
            Assert.Equal(c[leader].RaftTerm, c[i].RaftTerm);
            Assert.True(c[i].AppliedIndex >= leaderApplied, $"member {i} applied {c[i].AppliedIndex} < {leaderApplied}");
            Assert.True(c[i].RaftIndex >= c[i].AppliedIndex);
        }
    }

    [Fact]
    public async Task AfterTheLeaderIsKilledTheSurvivorsElectAnotherAndKeepServingWrites()
    {
        await using var c = await TestCluster.StartAsync();
        int old = await c.WaitForLeaderAsync();
        ulong oldId = c[old].MemberId;
        Assert.True((await c.ProposeAsync(Follower(c, old), Put("before", "1"))).Ok);

        await c.StopAsync(old);
        int leader = await c.WaitForLeaderAsync();
        Assert.NotEqual(oldId, c[leader].MemberId);
        foreach (int i in c.Running) Assert.Equal(c[leader].MemberId, c[i].LeaderId);

        foreach (int i in c.Running)
        {
            ProposeResult r = default;
            // a put racing the election may fail with etcd's errors; once the leader is agreed it goes through
            for (int attempt = 0; attempt < 5 && !(r = await c[i].ProposeAsync(Put("after" + i, "2"), default)).Ok; attempt++)
            {
                Assert.Contains(r.Error, new[] { ServerError.NoLeader, ServerError.LeaderChanged, ServerError.Timeout });
                await Task.Delay(200);
            }
            Assert.True(r.Ok, $"{r.Error} {r.MvccError}");
        }
        foreach (int i in c.Running)
        {
            Assert.Equal(ServerError.None, await c[i].ReadIndexAsync(default));
            Assert.Equal("1", Get(c[i], "before"));
            Assert.Equal("2", Get(c[i], "after" + Follower(c, leader)));
            Assert.Equal("2", Get(c[i], "after" + leader));
        }
    }

    [Fact]
    public async Task AMemberWithoutAQuorumFailsLinearizableReadsAndWritesButServesSerializableReads()
    {
        await using var c = await TestCluster.StartAsync();
        int leader = await c.WaitForLeaderAsync();
        Assert.True((await c[leader].ProposeAsync(Put("k", "v"), default)).Ok);
        foreach (int i in c.Running.Where(i => i != leader).ToList()) await c.StopAsync(i);

        // The lone leader's next heartbeat round has no quorum: it must not confirm a read index any more.
        ServerError read = await c[leader].ReadIndexAsync(default);
        Assert.Contains(read, new[] { ServerError.NoLeader, ServerError.Timeout, ServerError.LeaderChanged });
        await TestCluster.EventuallyAsync(() => !c[leader].IsLeader, "the member without a quorum steps down");
        Assert.Equal("v", Get(c[leader], "k")); // serializable: local
        ProposeResult write = await c[leader].ProposeAsync(Put("k", "w"), default);
        Assert.Contains(write.Error, new[] { ServerError.NoLeader, ServerError.Timeout, ServerError.LeaderChanged });
        Assert.Equal("v", Get(c[leader], "k"));
    }

    [Fact]
    public async Task EtcdClientsServedByAFollowerOverGrpc()
    {
        await using var c = await TestCluster.StartAsync();
        int leader = await c.WaitForLeaderAsync();
        int follower = Follower(c, leader);
        using var channel = GrpcChannel.ForAddress(c.ClientUrl(follower));
        var kv = new KV.KVClient(channel);
        PutResponse put = await kv.PutAsync(new PutRequest { Key = B("g"), Value = B("1"), PrevKv = true });
        Assert.Equal(c[follower].MemberId, put.Header.MemberId);
        RangeResponse range = await kv.RangeAsync(new RangeRequest { Key = B("g") });
        Assert.Equal("1", range.Kvs[0].Value.ToStringUtf8());

        StatusResponse status = await new Maintenance.MaintenanceClient(channel).StatusAsync(new StatusRequest());
        Assert.Equal(c[leader].MemberId, status.Leader);
        Assert.True(status.RaftAppliedIndex > 0 && status.RaftIndex >= status.RaftAppliedIndex);

        await TestCluster.EventuallyAsync(() => c[follower].Members.All(m => m.ClientUrls.Count == 1), "client URLs known");
        MemberListResponse members = await new Cluster.ClusterClient(channel).MemberListAsync(new MemberListRequest());
        Assert.Equal(3, members.Members.Count);
        Assert.All(members.Members, m => Assert.Single(m.ClientURLs));

        var lease = new Lease.LeaseClient(channel);
        LeaseGrantResponse grant = await lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 20 });
        using var keepAlive = lease.LeaseKeepAlive();
        await keepAlive.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = grant.ID });
        Assert.True(await keepAlive.ResponseStream.MoveNext(default));
        Assert.Equal(20, keepAlive.ResponseStream.Current.TTL);
        await keepAlive.RequestStream.CompleteAsync();

        // the internal service is on the peer port, for members only, and not on the client port at all
        using var leaderChannel = GrpcChannel.ForAddress(c.PeerUrl(leader));
        var forward = new Kvstorepb.Forward.ForwardClient(leaderChannel);
        var denied = await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(async () => await forward.ProposeAsync(new Kvstorepb.RaftBatch()));
        Assert.Equal(global::Grpc.Core.StatusCode.PermissionDenied, denied.StatusCode);
        using var clientChannel = GrpcChannel.ForAddress(c.ClientUrl(leader));
        var absent = await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(async () =>
            await new Kvstorepb.Forward.ForwardClient(clientChannel).ProposeAsync(new Kvstorepb.RaftBatch()));
        Assert.Equal(global::Grpc.Core.StatusCode.Unimplemented, absent.StatusCode);
    }

    [Fact]
    public async Task ARestartedMemberCatchesUpAndEveryMemberServesLinearizableReads()
    {
        await using var c = await TestCluster.StartAsync();
        int leader = await c.WaitForLeaderAsync();
        for (int i = 0; i < 20; i++)
        {
            ProposeResult put = await c[i % 3].ProposeAsync(Put("r" + i, "v"), default);
            Assert.True(put.Ok, $"put {i} through member {i % 3} (leader {leader}): {put.Error} {put.MvccError}");
        }

        // The old leader comes back with its applied index from its WAL (no-op entries included): the read
        // index it hands out or waits for must still be reached by the others.
        await c.StopAsync(leader);
        await c.WaitForLeaderAsync();
        Assert.True((await c.ProposeAsync(Follower(c, leader), Put("while-down", "1"))).Ok);
        await c.RestartAsync(leader);
        await c.WaitForLeaderAsync();
        foreach (int i in c.Running)
        {
            Assert.Equal(ServerError.None, await c[i].ReadIndexAsync(default));
            Assert.Equal("1", Get(c[i], "while-down"));
            Assert.Equal(22, c[i].Store.CurrentRevision);
        }
        Assert.True((await c.ProposeAsync(leader, Put("after-restart", "2"))).Ok);
        foreach (int i in c.Running)
        {
            Assert.Equal(ServerError.None, await c[i].ReadIndexAsync(default));
            Assert.Equal("2", Get(c[i], "after-restart"));
        }
    }

    [Fact]
    public async Task ForwardedPutsRacingALeaderKillAreAppliedAtMostOnce()
    {
        await using var c = await TestCluster.StartAsync();
        int leader = await c.WaitForLeaderAsync();
        int follower = Follower(c, leader);
        EtcdServer via = c[follower];
        var puts = new List<Task<ProposeResult>>();
        Task stop = Task.CompletedTask;
        for (int i = 0; i < 100; i++) puts.Add(via.ProposeAsync(Put("once" + i, "v"), default));
        await Task.WhenAll(puts);
        for (int i = 100; i < 400; i++)
        {
            puts.Add(via.ProposeAsync(Put("once" + i, "v"), default));
            if (i == 150) stop = c.StopAsync(leader); // the leader goes away with forwarded batches in flight
            if (i % 20 == 0) await Task.Delay(10);
        }
        ProposeResult[] results = await Task.WhenAll(puts);
        ServerError[] expected = [ServerError.NoLeader, ServerError.LeaderChanged, ServerError.Timeout];
        Assert.All(results.Where(r => !r.Ok), r => Assert.Contains(r.Error, expected));
        Assert.Contains(results, r => r.Ok);

        await stop;
        await c.WaitForLeaderAsync();
        Assert.Equal(ServerError.None, await via.ReadIndexAsync(default));
        int present = 0;
        for (int i = 0; i < results.Length; i++)
        {
            var kvs = via.Store.Range(new RangeRequest { Key = B("once" + i) }).Response!.Kvs;
            if (results[i].Ok) Assert.Single(kvs); // acknowledged: applied
            if (kvs.Count == 0) continue;
            present++;
            Assert.Equal(1, kvs[0].Version); // never applied twice
        }
        Assert.Equal(1 + present, via.Store.CurrentRevision); // one revision per applied put, none doubled
    }

    [Fact]
    public async Task OnlyAFailedConnectCountsAsNeverSent()
    {
        // Nothing listens on the port: the batch never left, so a follower may send it to the next leader.
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{Ports.Free()}");
        var client = new Kvstorepb.Forward.ForwardClient(channel);
        var refused = await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(async () => await client.ProposeAsync(new Kvstorepb.RaftBatch()));
        Assert.True(LeaderLink.NeverSent(refused), refused.ToString());

        // An answer from a live server (here: refused for not naming the cluster) is not a failed connect.
        await using var c = await TestCluster.StartAsync(size: 1);
        using var live = GrpcChannel.ForAddress(c.PeerUrl(0));
        var denied = await Assert.ThrowsAsync<global::Grpc.Core.RpcException>(
            async () => await new Kvstorepb.Forward.ForwardClient(live).ProposeAsync(new Kvstorepb.RaftBatch()));
        Assert.False(LeaderLink.NeverSent(denied));
    }
}
