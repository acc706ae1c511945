using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace KvStore.Cluster.Tests;

/// <summary>
/// Short by default (CI); <c>KVSTORE_FAULT_LONG=1</c> runs more rounds with more writers (see the README).
/// </summary>
internal static class FaultSettings
{
    public static bool Long => Environment.GetEnvironmentVariable("KVSTORE_FAULT_LONG") == "1";

    /// <summary>Kill rounds in the kill test (each kills a member, waits for progress, restarts it).</summary>
    public static int KillRounds => Long ? 30 : 3;

    /// <summary>Concurrent writers in each load.</summary>
    public static int Writers => Long ? 8 : 3;

    /// <summary>Cut/heal rounds in the partition test.</summary>
    public static int CutRounds => Long ? 6 : 2;
}

/// <summary>
/// Fault injection against real kvstore processes: SIGKILL, SIGSTOP/SIGCONT and network cuts between members
/// under write load from clients on every member. Each test prints what it injected, how many writes were
/// acknowledged, and how many of those were found afterwards.
/// </summary>
public sealed class FaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Progress = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task KillLeaderAndRandomMemberRepeatedlyUnderLoad()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var load = new WriteLoad(cluster, FaultSettings.Writers);
        Assert.True(await load.WaitForProgressAsync(20, Progress), "no writes acknowledged before any fault");

        int seed = Environment.TickCount;
        var random = new Random(seed);
        var injected = new List<string> { $"seed {seed}" };

        // A watch on a follower across the first leader's death: every revision once, in order.
        var firstLeader = await cluster.WaitForLeaderAsync();
        var reader = new ClusterClient(cluster.Members, 0);
        long from = (await reader.GetAsync("/none")).Header.Revision + 1;
        var watch = new WatchRecorder(cluster.Members.First(m => m != firstLeader), load.Prefix, from);

        for (int round = 0; round < FaultSettings.KillRounds; round++)
        {
            var leader = await cluster.WaitForLeaderAsync();
            // Even rounds kill the leader, odd rounds a member at random (the leader or a follower).
            var victim = round % 2 == 0 ? leader : cluster.Members[random.Next(cluster.Members.Count)];
            int before = load.Acknowledged;
            cluster.Kill(victim);
            var next = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60), notThis: victim);
            Assert.True(await load.WaitForProgressAsync(10, Progress), $"no progress with {victim.Name} killed");
            await cluster.RestartAsync(victim);
            Assert.True(await load.WaitForProgressAsync(10, Progress), $"no progress after {victim.Name} restarted");
            string what = $"round {round}: SIGKILL {victim.Name}{(victim == leader ? " (leader)" : "")}, leader then {next.Name}, " +
                          $"{load.Acknowledged - before} writes acknowledged meanwhile, restarted from its data dir";
            injected.Add(what);
            output.WriteLine(what);

            if (round == 0)
            {
                long to = (await reader.GetAsync("/none")).Header.Revision;
                await using (watch)
                {
                    Assert.True(await watch.WaitForRevisionAsync(to, Progress), $"watch on {watch.Member.Name} stopped short of revision {to}: {watch.Error}");
                    Assert.Null(watch.FirstGapOrRepeat());
                    string seen = $"watch on follower {watch.Member.Name} across the leader's SIGKILL: {watch.Count} events, revisions {from}..{to}+ without gap or repeat";
                    injected.Add(seen);
                    output.WriteLine(seen);
                }
            }
        }
        await load.StopAsync();
        int found = await load.VerifyAsync(cluster, output, string.Join("; ", injected));
        Assert.True(found > 0);
    }

    [Fact]
    public async Task PausedLeaderStepsDownAndServesNoStaleRead()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var load = new WriteLoad(cluster, FaultSettings.Writers);
        var key = ByteString.CopyFromUtf8("/pause/k");
        var client = new ClusterClient(cluster.Members, 0);
        var before = await client.PutAsync("/pause/k", "before");
        int beforeFailovers = client.Failovers;
        Assert.True(await load.WaitForProgressAsync(10, Progress));

        var old = await cluster.WaitForLeaderAsync();
        TestCluster.Pause(old);
        var paused = DateTime.UtcNow;
        var next = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60), notThis: old);
        // The new value is committed by the others while the old leader sleeps.
        var survivors = new ClusterClient(cluster.Members.Where(m => m != old).ToList(), 0);
        var after = await survivors.PutAsync("/pause/k", "after");
        Assert.True(await load.WaitForProgressAsync(10, Progress), "no progress with the leader paused");
        await Task.Delay(TimeSpan.FromSeconds(2)); // well past the election timeout (1 s)
        TestCluster.Resume(old);
        var pausedFor = DateTime.UtcNow - paused;

        // From the moment it wakes, a linearizable read on the old leader is refused or returns the new value.
        int served = 0, refused = 0, late = 0;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < until)
        {
            try
            {
                var r = await old.Kv.RangeAsync(new RangeRequest { Key = key }, deadline: DateTime.UtcNow.AddSeconds(20));
                var kv = Assert.Single(r.Kvs);
                string value = kv.Value.ToStringUtf8();
                // A 'before' attempt the client gave up on (it failed over) may still be applied later, as on etcd (its outcome
                // was unknown): a write after 'after', not a stale read.
                bool lateBefore = value == "before" && beforeFailovers > 0 && kv.ModRevision > after.Header.Revision;
                if (lateBefore && late++ == 0) output.WriteLine($"a retried 'before' applied at revision {kv.ModRevision}, after 'after'");
                if (value != "after" && !lateBefore)
                {
                    var now = await old.TryStatusAsync();
                    // What the others hold now tells a stale read (they have "after") from a late second write of "before" (an
                    // attempt the client gave up on, applied later: they have it too, at a revision past "after").
                    var elsewhere = await survivors.GetAsync("/pause/k");
                    Assert.Fail($"stale read on {old.Name} after SIGCONT: '{value}' (mod revision {kv.ModRevision}, version {kv.Version}) at " +
                                $"revision {r.Header.Revision} term {r.Header.RaftTerm}; 'before' was put at revision {before.Header.Revision} " +
                                $"after {beforeFailovers} failovers, 'after' at revision {after.Header.Revision}, term {after.Header.RaftTerm}; " +
                                $"the others now: {elsewhere.Kvs.SingleOrDefault()} at revision {elsewhere.Header.Revision}; " +
                                $"status then: {now}\n{cluster.Logs(400)}");
                }
                Assert.True(r.Header.Revision >= after.Header.Revision, $"read at revision {r.Header.Revision} < {after.Header.Revision}");
                served++;
            }
            catch (RpcException e)
            {
                Assert.True(ClusterClient.IsRetriable(e), $"unexpected error from the old leader: {e.Status}");
                refused++;
            }
        }

        // It steps down: it reports another member as leader.
        StatusResponse? status = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            status = await old.TryStatusAsync();
            if (status is not null && status.Leader != 0 && status.Leader != status.Header.MemberId)
            {
                break;
            }
            await Task.Delay(200);
        }
        Assert.True(status is not null && status.Leader != 0 && status.Leader != status.Header.MemberId,
            $"{old.Name} did not step down: {status}");
        output.WriteLine($"old leader {old.Name} reads after SIGCONT: {served} served the new value, {refused} refused; now follows {status.Leader:x16}");

        await load.StopAsync();
        await load.VerifyAsync(cluster, output,
            $"SIGSTOP leader {old.Name} for {pausedFor.TotalSeconds:F1} s (new leader {next.Name}), then SIGCONT");
    }

    /// <summary>
    /// etcd's LeaseRenew checks its leadership first (ensureLeadership, etcd 3.5): a leader paused while the others
    /// revoked a lease must not answer a keep-alive for it once it wakes (the robustness runs' lease-resurrected).
    /// </summary>
    [Fact]
    public async Task PausedLeaderKeepsNoRevokedLeaseAlive()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var client = new ClusterClient(cluster.Members, 0);
        var grant = await client.CallAsync((m, d) => m.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 60 }, deadline: d).ResponseAsync,
            Progress);
        var old = await cluster.WaitForLeaderAsync();
        Assert.Equal(60, (await old.KeepAliveOnceAsync(grant.ID, TimeSpan.FromSeconds(20))).TTL);

        TestCluster.Pause(old);
        await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60), notThis: old);
        var survivors = new ClusterClient(cluster.Members.Where(m => m != old).ToList(), 0);
        try
        {
            await survivors.CallAsync((m, d) => m.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = grant.ID }, deadline: d).ResponseAsync,
                Progress);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound && survivors.Failovers > 0)
        {
            // A revoke is not idempotent: an attempt that timed out during the election may have been applied, and the
            // retry then finds no lease. The keep-alive below checks that it is gone.
            output.WriteLine($"the revoke was retried after {survivors.Failovers} failed attempts and found the lease gone");
        }
        var afterRevoke = await survivors.CallAsync((m, _) => m.KeepAliveOnceAsync(grant.ID, TimeSpan.FromSeconds(20)), Progress);
        Assert.True(afterRevoke.TTL <= 0, "the revoked lease is alive");
        TestCluster.Resume(old);

        // From the moment it wakes, the old leader answers "gone" or refuses, never a positive TTL.
        int gone = 0, refused = 0;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(4);
        while (DateTime.UtcNow < until)
        {
            try
            {
                long ttl = (await old.KeepAliveOnceAsync(grant.ID, TimeSpan.FromSeconds(20))).TTL;
                Assert.True(ttl <= 0, $"{old.Name} kept the revoked lease alive after SIGCONT (TTL {ttl})\n{cluster.Logs(60)}");
                gone++;
            }
            catch (RpcException e)
            {
                Assert.True(ClusterClient.IsRetriable(e), $"unexpected error from the old leader: {e.Status}");
                refused++;
            }
        }
        output.WriteLine($"old leader {old.Name} keep-alives after SIGCONT: {gone} answered gone, {refused} refused");
        Assert.True(gone > 0, "the old leader never answered a keep-alive");
    }

    [Fact]
    public async Task CutOffMemberCannotCommitAndCatchesUpAfterHealing()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await using var load = new WriteLoad(cluster, FaultSettings.Writers);
        Assert.True(await load.WaitForProgressAsync(20, Progress), "no writes acknowledged before any fault");

        var injected = new List<string>();
        for (int round = 0; round < FaultSettings.CutRounds; round++)
        {
            var leader = await cluster.WaitForLeaderAsync();
            // Even rounds cut a follower off, odd rounds the leader.
            var victim = round % 2 == 0 ? cluster.Members.First(m => m != leader) : leader;
            cluster.Cut(victim);
            await Task.Delay(TimeSpan.FromSeconds(3)); // past the election timeout: the victim has lost its leader

            // The cut-off member cannot commit: etcd's error, not a success and not a hang.
            try
            {
                var r = await victim.Kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("/cut/" + round), Value = ByteString.CopyFromUtf8("x") },
                    deadline: DateTime.UtcNow.AddSeconds(30));
                Assert.Fail($"{victim.Name} committed a put while cut off (revision {r.Header.Revision})");
            }
            catch (RpcException e)
            {
                output.WriteLine($"put on cut-off {victim.Name}: {e.StatusCode} \"{e.Status.Detail}\"");
                Assert.Equal(StatusCode.Unavailable, e.StatusCode);
                Assert.Contains(e.Status.Detail, new[] { "etcdserver: no leader", "etcdserver: request timed out", "etcdserver: leader changed" });
            }

            // The others go on.
            var next = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60), notThis: victim);
            int before = load.Acknowledged;
            Assert.True(await load.WaitForProgressAsync(20, Progress), $"no progress with {victim.Name} cut off");
            int during = load.Acknowledged - before;

            cluster.Heal();
            Assert.True(await load.WaitForProgressAsync(10, Progress), "no progress after healing");
            string what = $"round {round}: cut {victim.Name}{(victim == leader ? " (leader)" : "")} off for its peers " +
                          $"({cluster.Proxy.RefusedLinks} links refused or dropped so far), leader then {next.Name}, {during}+ writes acknowledged while cut, healed";
            injected.Add(what);
            output.WriteLine(what);
        }

        await load.StopAsync();
        await load.VerifyAsync(cluster, output, string.Join("; ", injected));
    }

    [Fact]
    public async Task AddAndRemoveMemberUnderLoad()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var original = cluster.Members.ToList();
        await using var load = new WriteLoad(cluster, FaultSettings.Writers);
        Assert.True(await load.WaitForProgressAsync(20, Progress), "no writes acknowledged before the change");
        var admin = new ClusterClient(original, 0);

        // etcdctl member add, then the new member starts with --initial-cluster-state existing and catches up.
        var added = cluster.NewMember();
        var add = await admin.CallAsync((m, d) => m.Cluster.MemberAddAsync(new MemberAddRequest { PeerURLs = { added.AdvertisedPeerUrl } }, deadline: d).ResponseAsync,
            TimeSpan.FromSeconds(60));
        Assert.Equal(4, add.Members.Count);
        await cluster.JoinAsync(added, original);
        int before = load.Acknowledged;
        Assert.True(await load.WaitForProgressAsync(20, Progress), "no progress after the member add");
        // Its own data (serializable: local) holds what was acknowledged before it joined.
        long local = 0;
        for (var until = DateTime.UtcNow + Progress; local < before && DateTime.UtcNow < until; await Task.Delay(200))
        {
            local = (await added.Kv.RangeAsync(new RangeRequest
            {
                Key = ByteString.CopyFromUtf8(load.Prefix), RangeEnd = ClusterClient.PrefixEnd(load.Prefix), CountOnly = true, Serializable = true,
            }, deadline: DateTime.UtcNow.AddSeconds(30))).Count;
        }
        Assert.True(local >= before, $"the added member holds {local} keys, {before} were acknowledged before it joined");

        // etcdctl member remove of a follower (asked through another member); the removed process is then stopped.
        var leader = await cluster.WaitForLeaderAsync();
        var removed = original.First(m => m != leader);
        ulong removedId = (await removed.Maintenance.StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(30))).Header.MemberId;
        var remove = await new ClusterClient(original.Where(m => m != removed).ToList(), 0).CallAsync(
            (m, d) => m.Cluster.MemberRemoveAsync(new MemberRemoveRequest { ID = removedId }, deadline: d).ResponseAsync, TimeSpan.FromSeconds(60));
        Assert.DoesNotContain(remove.Members, m => m.ID == removedId);
        Assert.Equal(3, remove.Members.Count);
        cluster.Kill(removed);
        Assert.True(await load.WaitForProgressAsync(20, Progress), "no progress after the member remove");

        var list = await admin.CallAsync((m, d) => m.Cluster.MemberListAsync(new MemberListRequest(), deadline: d).ResponseAsync, TimeSpan.FromSeconds(60));
        Assert.Equal(3, list.Members.Count);
        Assert.Contains(list.Members, m => m.PeerURLs.Contains(added.AdvertisedPeerUrl) && m.Name == added.Name);

        await load.StopAsync();
        await load.VerifyAsync(cluster, output,
            $"member add {added.Name} ({add.Member.ID:x16}) under load, joined with --initial-cluster-state existing; member remove {removed.Name} ({removedId:x16}), then SIGKILL it");
    }
}
