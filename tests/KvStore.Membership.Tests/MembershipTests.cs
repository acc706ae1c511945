namespace KvStore.Membership.Tests;

/// <summary>
/// etcdctl 3.4 member add/remove/update/promote and move-leader against a real three-member kvstore cluster.
/// Writes go to the leader's endpoint (so these tests do not depend on follower forwarding).
/// </summary>
public sealed class MembershipTests
{
    [Fact]
    public async Task AddedMemberCatchesUpAndARemovedFollowerLeavesAServingCluster()
    {
        await using TestCluster cluster = await TestCluster.StartAsync();
        Member leader = await cluster.LeaderAsync();
        for (int i = 0; i < 5; i++) await Ctl.OkAsync(leader.Endpoint, "put", "k" + i, "v" + i);

        // etcdctl member add: the new member is listed at once, unstarted (empty name), with a time-based id.
        using var n4 = new Member("n4");
        string added = await Ctl.OkAsync(cluster.Members[0].Endpoint, "member", "add", "n4", "--peer-urls=" + n4.PeerUrl);
        Assert.Contains("ETCD_INITIAL_CLUSTER_STATE=\"existing\"", added);
        // MemberList is served from each member's own record (etcd 3.4 too): a follower may apply the change a moment later.
        var members = await Ctl.MembersAsync(cluster.Endpoints);
        await TestCluster.EventuallyAsync(async () => (members = await Ctl.MembersAsync(cluster.Endpoints)).Count == 4, "4 members listed");
        var pending = Assert.Single(members, m => m.PeerUrls.Contains(n4.PeerUrl));
        Assert.Equal("", pending.Name);

        // Started with --initial-cluster-state existing, it is caught up by the leader and serves the same data.
        await n4.StartAsync(cluster.InitialCluster + $",n4={n4.PeerUrl}", "existing");
        await TestCluster.EventuallyAsync(async () =>
        {
            var r = await Ctl.RunAsync(n4.Endpoint, "get", "k4", "--consistency=s", "--print-value-only");
            return r.Exit == 0 && r.Out.Trim() == "v4";
        }, "k4 on the new member");
        // The leader publishes the new member's name and client URLs once it runs.
        await TestCluster.EventuallyAsync(async () =>
            (members = await Ctl.MembersAsync(cluster.Endpoints)).Any(m => m.Id == pending.Id && m.Name == "n4"), "n4 named in the list");
        var joined = Assert.Single(members, m => m.Id == pending.Id);
        Assert.Equal("n4", joined.Name);
        Assert.Equal([n4.ClientUrl], joined.ClientUrls);
        var status = await Ctl.StatusAsync(n4.Endpoint);
        Assert.Equal(pending.Id, status[0].Id);
        Assert.NotEqual(0UL, status[0].Leader);
        // DB SIZE: the new member's files on disk (its engine's hash index alone is 16 MB), not 0 B
        using (var raw = System.Text.Json.JsonDocument.Parse(await Ctl.OkAsync(n4.Endpoint, "endpoint", "status", "-w", "json")))
        {
            Assert.True(raw.RootElement[0].GetProperty("Status").GetProperty("dbSize").GetInt64() > 16 << 20, raw.RootElement.ToString());
        }

        // One at a time, as etcd: a URL in use is refused.
        var dup = await Ctl.RunAsync(leader.Endpoint, "member", "add", "x", "--peer-urls=" + n4.PeerUrl);
        Assert.Contains("etcdserver: Peer URLs already exists", dup.Err);
        var unknown = await Ctl.RunAsync(leader.Endpoint, "member", "remove", "1234");
        Assert.Contains("etcdserver: member not found", unknown.Err);

        // Remove a follower (through a follower's endpoint): the rest keep serving writes and reads.
        Member follower = cluster.Members.First(m => m != leader);
        ulong followerId = (await Ctl.StatusAsync(follower.Endpoint))[0].Id;
        await Ctl.OkAsync(cluster.Members.First(m => m != leader && m != follower).Endpoint, "member", "remove", followerId.ToString("x"));
        // As etcd, the removed member stops by itself.
        Assert.True(await follower.WaitForExitAsync(60), "the removed member is still running:\n" + follower.Output);
        Assert.Contains("the member has been permanently removed from the cluster", follower.Output);
        members = await Ctl.MembersAsync(leader.Endpoint);
        Assert.DoesNotContain(members, m => m.Id == followerId);
        Assert.Equal(3, members.Count);
        await TestCluster.EventuallyAsync(async () => (await Ctl.RunAsync(leader.Endpoint, "put", "after-remove", "ok")).Exit == 0,
            "a write after the removal");
        await TestCluster.EventuallyAsync(async () =>
        {
            var r = await Ctl.RunAsync(n4.Endpoint, "get", "after-remove", "--consistency=s", "--print-value-only");
            return r.Exit == 0 && r.Out.Trim() == "ok";
        }, "the write on the added member");
    }

    [Fact]
    public async Task MoveLeaderLearnerPromoteAndUpdate()
    {
        await using TestCluster cluster = await TestCluster.StartAsync();
        Member leader = await cluster.LeaderAsync();
        Member target = cluster.Members.First(m => m != leader);
        ulong targetId = (await Ctl.StatusAsync(target.Endpoint))[0].Id;

        // move-leader from a follower's endpoint only: etcd answers "not leader" (etcdctl finds the leader itself).
        await Ctl.OkAsync(cluster.Endpoints, "move-leader", targetId.ToString("x"));
        var status = await Ctl.StatusAsync(cluster.Endpoints, cluster: true);
        Assert.Equal(3, status.Count);
        Assert.All(status, s => Assert.Equal(targetId, s.Leader));
        var bad = await Ctl.RunAsync(target.Endpoint, "move-leader", "1234");
        Assert.Contains("etcdserver: bad leader transferee", bad.Err);
        await Ctl.OkAsync(target.Endpoint, "put", "after-move", "ok");

        // Learners: DotNext has no non-voting member, and the error says so; promote is etcd's own error.
        var learner = await Ctl.RunAsync(target.Endpoint, "member", "add", "l1", "--learner", "--peer-urls=http://127.0.0.1:1");
        Assert.NotEqual(0, learner.Exit);
        Assert.Contains("learner members are not supported", learner.Err);
        Assert.Contains("non-voting", learner.Err);
        var promote = await Ctl.RunAsync(target.Endpoint, "member", "promote", targetId.ToString("x"));
        Assert.Contains("etcdserver: can only promote a learner member", promote.Err);

        // member update: the new peer URL is in the list; restarted on it, the member rejoins and catches up.
        Member moved = cluster.Members.First(m => m != target);
        ulong movedId = (await Ctl.StatusAsync(moved.Endpoint))[0].Id;
        int newPort = Ports.Free();
        await Ctl.OkAsync(target.Endpoint, "member", "update", movedId.ToString("x"), $"--peer-urls=http://127.0.0.1:{newPort}");
        var members = await Ctl.MembersAsync(target.Endpoint);
        Assert.Equal([$"http://127.0.0.1:{newPort}"], Assert.Single(members, m => m.Id == movedId).PeerUrls);
        moved.Kill();
        moved.PeerPort = newPort;
        await moved.StartAsync(cluster.InitialCluster, "new");
        await Ctl.OkAsync(target.Endpoint, "put", "after-update", "ok");
        await TestCluster.EventuallyAsync(async () =>
        {
            var r = await Ctl.RunAsync(moved.Endpoint, "get", "after-update", "--consistency=s", "--print-value-only");
            return r.Exit == 0 && r.Out.Trim() == "ok";
        }, "the write on the updated member");

        // With one of three down, a fourth member would leave the started ones short of its quorum: refused, as etcd.
        moved.Kill();
        await Task.Delay(3000); // the leader's heartbeats to it fail at once; give it a moment on a loaded machine
        var refused = await Ctl.RunAsync(target.Endpoint, "member", "add", "n9", $"--peer-urls=http://127.0.0.1:{Ports.Free()}");
        Assert.Contains("etcdserver: re-configuration failed due to not enough started members", refused.Err);
        Assert.Equal(3, (await Ctl.MembersAsync(target.Endpoint)).Count);
    }
}
