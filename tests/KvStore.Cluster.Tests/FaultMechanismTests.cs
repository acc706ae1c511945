using System.Diagnostics;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace KvStore.Cluster.Tests;

/// <summary>
/// The fault mechanisms of <see cref="KvStoreCluster"/> that the robustness harness drives, each shown to take
/// effect on real kvstore processes: a cut member cannot commit and catches up once healed, pair cuts compose, a
/// delay slows a commit by at least itself, a paused leader is replaced, a restart takes new flags, a removed member
/// comes back empty and catches up by snapshot.
/// </summary>
public sealed class FaultMechanismTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Eventually = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task PartitionsDelaysPausesAndRestartsTakeEffect()
    {
        var started = Stopwatch.StartNew();
        using var cluster = KvStoreCluster.Start(new KvStoreClusterOptions { Size = 3, ProxyPeers = true });
        int leader = await cluster.WaitForLeaderAsync();
        output.WriteLine($"started, {cluster.Names[leader]} leads: {started.Elapsed.TotalSeconds:F1}s");

        // member vs the rest: the cut leader cannot commit, the others elect a new one; healed, it catches up
        cluster.Partition(leader);
        int next = await cluster.WaitForLeaderAsync(Eventually, notThis: leader);
        await Assert.ThrowsAsync<RpcException>(() => PutAsync(cluster, leader, "cut/isolated", "lost", TimeSpan.FromSeconds(3)));
        await PutAsync(cluster, next, "cut/majority", "v1");
        cluster.Heal(leader);
        await WaitForValueAsync(cluster, leader, "cut/majority", "v1");
        output.WriteLine($"member cut and healed: {started.Elapsed.TotalSeconds:F1}s");

        // pair cuts compose: a follower cut from both others sees nothing until healed
        leader = await cluster.WaitForLeaderAsync();
        int follower = (leader + 1) % 3, third = (leader + 2) % 3;
        cluster.Partition(follower, leader);
        cluster.Partition(follower, third);
        await PutAsync(cluster, leader, "pair/k", "v2");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Empty((await GetAsync(cluster, follower, "pair/k")).Kvs);
        cluster.HealAll();
        await WaitForValueAsync(cluster, follower, "pair/k", "v2");
        output.WriteLine($"pair cuts and heal: {started.Elapsed.TotalSeconds:F1}s");

        // a delay on the leader's links: a commit needs a round trip to a follower, so it takes at least twice the delay
        leader = await cluster.WaitForLeaderAsync();
        cluster.Delay(leader, 250);
        var put = Stopwatch.StartNew();
        await PutAsync(cluster, leader, "delay/k", "v3");
        Assert.True(put.ElapsedMilliseconds >= 500, $"a put with 250 ms each way took {put.ElapsedMilliseconds} ms");
        cluster.Delay(leader, 0);
        output.WriteLine($"delayed put took {put.ElapsedMilliseconds} ms: {started.Elapsed.TotalSeconds:F1}s");

        // SIGSTOP of the leader: the others elect a new one and commit; SIGCONT, the old one follows again
        leader = await cluster.WaitForLeaderAsync();
        cluster.Pause(leader);
        next = await cluster.WaitForLeaderAsync(Eventually, notThis: leader);
        await PutAsync(cluster, next, "pause/k", "v4");
        cluster.Resume(leader);
        await WaitForValueAsync(cluster, leader, "pause/k", "v4");
        output.WriteLine($"leader paused and resumed: {started.Elapsed.TotalSeconds:F1}s");

        // a restart with its own flags: the member now refuses requests over its new --max-request-bytes
        cluster.Stop(follower);
        cluster.Restart(follower, ["--max-request-bytes", "1024"]);
        var tooLarge = await Assert.ThrowsAsync<RpcException>(() => PutAsync(cluster, follower, "big", new string('x', 2048)));
        Assert.Equal("etcdserver: request is too large", tooLarge.Status.Detail);
        await WaitForValueAsync(cluster, follower, "pause/k", "v4");
        output.WriteLine($"restarted with other flags: {started.Elapsed.TotalSeconds:F1}s, {cluster.Proxy!.RefusedLinks} links refused or dropped");
    }

    [Fact]
    public async Task RemovedMemberComesBackEmptyAndCatchesUpBySnapshot()
    {
        var started = Stopwatch.StartNew();
        using var cluster = KvStoreCluster.Start(new KvStoreClusterOptions { Size = 3, Extra = ["--snapshot-count", "20", "--experimental-snapshot-catchup-entries", "0"] });
        int leader = await cluster.WaitForLeaderAsync();
        int victim = (leader + 1) % 3;
        for (int i = 0; i < 30; i++) await PutAsync(cluster, leader, $"before/{i:D2}", "v");
        ulong oldId = await cluster.MemberIdAsync(victim);

        await cluster.RemoveMemberAsync(victim);
        var list = await new Etcdserverpb.Cluster.ClusterClient(cluster.Channel(leader)).MemberListAsync(new MemberListRequest());
        Assert.Equal(2, list.Members.Count);
        Assert.False(Directory.Exists(cluster.DataDir(victim)));
        // enough entries after the removal that the leader's log no longer reaches back to the start
        for (int i = 0; i < 60; i++) await PutAsync(cluster, leader, $"after/{i:D2}", "v");

        await cluster.AddMemberBackAsync(victim);
        Assert.NotEqual(oldId, await cluster.MemberIdAsync(victim));
        await WaitForValueAsync(cluster, victim, "after/59", "v");
        Assert.Equal(90, (await GetAsync(cluster, victim, "", prefix: true)).Count);
        Assert.Contains("installed raft snapshot", cluster.Process(victim).Output);
        await PutAsync(cluster, victim, "rejoined", "v");
        output.WriteLine($"removed, re-added and caught up by snapshot: {started.Elapsed.TotalSeconds:F1}s");
    }

    /// <summary>
    /// A member that was down while another was removed, and comes back after the leader's snapshots went past the
    /// removal, installs a snapshot and never sees the removal's entry: it learns the member list from the snapshot's
    /// record (before, it listed the removed member for good; a member added under load likewise never learnt that
    /// it had joined, in a long robustness run).
    /// </summary>
    [Fact]
    public async Task MemberBehindASnapshotLearnsTheMembershipChangesItCovers()
    {
        var started = Stopwatch.StartNew();
        using var cluster = KvStoreCluster.Start(new KvStoreClusterOptions { Size = 5, Extra = ["--snapshot-count", "20", "--experimental-snapshot-catchup-entries", "0"] });
        int leader = await cluster.WaitForLeaderAsync();
        int lagging = (leader + 1) % 5, gone = (leader + 2) % 5;
        ulong goneId = await cluster.MemberIdAsync(gone);
        cluster.Kill(lagging);
        await cluster.RemoveMemberAsync(gone);
        // after the removal: snapshots past it, and the log before them dropped (a removal may cost an election on a
        // loaded machine, with one of the four members down: "no leader" is retried, as in the re-add test below)
        var kv = new KV.KVClient(cluster.Channel(leader).Intercept(new NoLeaderRetry()));
        for (int i = 0; i < 60; i++)
        {
            await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"after-remove/{i:D2}"), Value = ByteString.CopyFromUtf8("v") },
                deadline: DateTime.UtcNow.AddSeconds(30));
        }
        output.WriteLine($"removed {cluster.Names[gone]} with {cluster.Names[lagging]} down, 60 puts: {started.Elapsed.TotalSeconds:F1}s");

        cluster.Restart(lagging);
        await WaitForValueAsync(cluster, lagging, "after-remove/59", "v");
        output.WriteLine($"{cluster.Names[lagging]} restarted and caught up: {started.Elapsed.TotalSeconds:F1}s");
        Assert.Contains("installing raft snapshot", cluster.Process(lagging).Output);
        // the record is installed once the engine is restored, a moment after the value above shows
        var members = new Etcdserverpb.Cluster.ClusterClient(cluster.Channel(lagging));
        MemberListResponse list = await members.MemberListAsync(new MemberListRequest());
        for (DateTime deadline = DateTime.UtcNow + Eventually; list.Members.Count != 4 && DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            list = await members.MemberListAsync(new MemberListRequest());
        }
        Assert.Equal(4, list.Members.Count);
        Assert.DoesNotContain(list.Members, m => m.ID == goneId);
        output.WriteLine($"restarted behind a snapshot past a removal, lists 4 members: {started.Elapsed.TotalSeconds:F1}s");
    }

    /// <summary>
    /// A member removed and added back twice with the same peer URL replays, each time, the removals of its earlier
    /// incarnations (same peer URL, other ids) without stopping, serves linearizable reads, and every incarnation has its
    /// own id in the member list, as etcd's (time-based ids from MemberAdd).
    /// </summary>
    [Fact]
    public async Task MemberRemovedAndAddedBackTwiceWithTheSamePeerUrlServesEachTime()
    {
        var started = Stopwatch.StartNew();
        using var cluster = KvStoreCluster.Start(new KvStoreClusterOptions { Size = 3 });
        int leader = await cluster.WaitForLeaderAsync();
        int victim = (leader + 1) % 3, other = (leader + 2) % 3;
        // through members that stay (a removal may cost an election on a loaded machine: "no leader" is retried)
        KV.KVClient Kv(int i) => new(cluster.Channel(i).Intercept(new NoLeaderRetry()));
        var ids = new List<ulong> { await cluster.MemberIdAsync(victim) };
        for (int round = 1; round <= 2; round++)
        {
            await cluster.RemoveMemberAsync(victim);
            await Kv(other).PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"readd/{round}"), Value = ByteString.CopyFromUtf8("v" + round) },
                deadline: DateTime.UtcNow.AddSeconds(30));
            await cluster.AddMemberBackAsync(victim);
            ulong id = await cluster.MemberIdAsync(victim);
            Assert.DoesNotContain(id, ids);
            ids.Add(id);

            // a linearizable read on the member added back sees the write made while it was out
            var read = await Kv(victim).RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8($"readd/{round}") }, deadline: DateTime.UtcNow.AddSeconds(30));
            Assert.Equal("v" + round, Assert.Single(read.Kvs).Value.ToStringUtf8());
            await Kv(victim).PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8($"readd/{round}/through"), Value = ByteString.CopyFromUtf8("v") },
                deadline: DateTime.UtcNow.AddSeconds(30));
            Assert.True(cluster.IsRunning(victim), cluster.Logs());

            var list = await new Etcdserverpb.Cluster.ClusterClient(cluster.Channel(other)).MemberListAsync(new MemberListRequest());
            Assert.Equal(3, list.Members.Count);
            Assert.Equal(id, Assert.Single(list.Members, m => m.PeerURLs.Contains(cluster.PeerUrls[victim])).ID);
            Assert.Equal(3, list.Members.Select(m => m.ID).Distinct().Count());
            output.WriteLine($"re-add {round} serves as {id:x16}: {started.Elapsed.TotalSeconds:F1}s");
        }
        // the current incarnation's removal still stops it
        await new Etcdserverpb.Cluster.ClusterClient(cluster.Channel(other)).MemberRemoveAsync(new MemberRemoveRequest { ID = ids[^1] },
            deadline: DateTime.UtcNow.AddSeconds(30));
        Assert.True(cluster.Process(victim).WaitForExit(TimeSpan.FromSeconds(60)), cluster.Logs());
        Assert.Contains("the member has been permanently removed from the cluster", cluster.Process(victim).Output);
    }

    internal static async Task PutAsync(KvStoreCluster cluster, int i, string key, string value, TimeSpan? timeout = null) =>
        await new KV.KVClient(cluster.Channel(i)).PutAsync(
            new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) },
            deadline: DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30)));

    /// <summary>A serializable range on member <paramref name="i"/> (what it holds, not what the leader holds).</summary>
    internal static async Task<RangeResponse> GetAsync(KvStoreCluster cluster, int i, string key, bool prefix = false)
    {
        // "" with prefix: the whole keyspace, as etcd spells it (key and range_end "\0")
        var request = new RangeRequest { Key = key.Length == 0 ? ByteString.CopyFrom(0) : ByteString.CopyFromUtf8(key), Serializable = true };
        if (prefix) request.RangeEnd = key.Length == 0 ? ByteString.CopyFrom(0) : ByteString.CopyFromUtf8(key[..^1] + (char)(key[^1] + 1));
        return await new KV.KVClient(cluster.Channel(i)).RangeAsync(request, deadline: DateTime.UtcNow.AddSeconds(10));
    }

    private static async Task WaitForValueAsync(KvStoreCluster cluster, int i, string key, string value)
    {
        DateTime deadline = DateTime.UtcNow + Eventually;
        while (true)
        {
            try
            {
                if ((await GetAsync(cluster, i, key)).Kvs.FirstOrDefault()?.Value.ToStringUtf8() == value) return;
            }
            catch (RpcException)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{cluster.Names[i]} never held {key}={value}\n{cluster.Logs()}");
            await Task.Delay(200);
        }
    }
}
