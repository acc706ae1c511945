using Grpc.Core;
using V3electionpb;
using V3lockpb;
using static KvStore.Grpc.Tests.GrpcHost;

namespace KvStore.Grpc.Tests;

/// <summary>
/// etcdctl 3.4's lock and elect (clientv3/concurrency run in etcdctl, over KV, Watch and Lease) against the
/// services, and beside the Lock and Election services, which must keep the same keys so that both exclude
/// each other and see each other's leaders.
/// </summary>
public sealed class EtcdctlLockElectTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private readonly GrpcHost _h = fixture.Host;

    /// <summary>host:port, as the other etcdctl tests use it.</summary>
    private string Endpoint => new Uri(_h.Address).Authority;

    [Fact]
    public async Task Lock_RunsTheCommandHoldingTheLock_ThenUnlocks()
    {
        Assert.Equal((0, "hi\n", ""), await Etcdctl.RunAsync(Endpoint, "lock", "ctl/lock/run", "--", "echo", "hi"));
        var (exit, output, err) = await Etcdctl.RunAsync(Endpoint, "lock", "ctl/lock/run", "--", "sh", "-c", "echo $ETCD_LOCK_KEY");
        Assert.True(exit == 0, err);
        Assert.Matches("^ctl/lock/run/[0-9a-f]+\n$", output);
        Assert.Empty(await _h.PrefixAsync("ctl/lock/run/"));
    }

    [Fact]
    public async Task Etcdctl_WaitsWhileTheLockServiceHoldsTheLock()
    {
        long lease = await _h.GrantAsync();
        LockResponse held = await _h.Lock.LockAsync(new LockRequest { Name = B("ctl/lock/svc"), Lease = lease });
        await using Etcdctl.Running etcdctl = Etcdctl.Start(Endpoint, "lock", "ctl/lock/svc", "--", "echo", "hi");
        Assert.True(await etcdctl.StillRunningAfterAsync(), "etcdctl should still be waiting");
        await _h.Lock.UnlockAsync(new UnlockRequest { Key = held.Key });
        Assert.Equal("hi", await etcdctl.ReadLineAsync());
    }

    [Fact]
    public async Task TheLockService_WaitsWhileEtcdctlHoldsTheLock()
    {
        await using Etcdctl.Running etcdctl = Etcdctl.Start(Endpoint, "lock", "ctl/lock/ctl");
        string key = await etcdctl.ReadLineAsync(); // it prints the key it holds, then waits for Ctrl-C
        Assert.StartsWith("ctl/lock/ctl/", key);
        long lease = await _h.GrantAsync();
        Task<LockResponse> waiting = _h.Lock.LockAsync(new LockRequest { Name = B("ctl/lock/ctl"), Lease = lease }).ResponseAsync;
        await AssertPendingAsync(waiting, 500);
        Assert.Equal(0, await etcdctl.InterruptAsync()); // unlocks
        LockResponse held = await WithinAsync(waiting);
        Assert.Equal($"ctl/lock/ctl/{lease:x}", held.Key.ToStringUtf8());
        await _h.Lock.UnlockAsync(new UnlockRequest { Key = held.Key });
    }

    [Fact]
    public async Task Elect_CampaignAndObserve_AlongsideTheElectionService()
    {
        await using Etcdctl.Running candidate1 = Etcdctl.Start(Endpoint, "elect", "ctl/elect", "candidate1");
        string key1 = await candidate1.ReadLineAsync(); // elected: its key and value
        Assert.StartsWith("ctl/elect/", key1);
        Assert.Equal("candidate1", await candidate1.ReadLineAsync());

        LeaderResponse leader = await _h.Election.LeaderAsync(new LeaderRequest { Name = B("ctl/elect") });
        Assert.Equal((key1, "candidate1"), (leader.Kv.Key.ToStringUtf8(), leader.Kv.Value.ToStringUtf8()));

        await using Etcdctl.Running observer = Etcdctl.Start(Endpoint, "elect", "-l", "ctl/elect");
        Assert.Equal(key1, await observer.ReadLineAsync());
        Assert.Equal("candidate1", await observer.ReadLineAsync());

        // A candidate through the service waits for etcdctl's, which resigns on Ctrl-C.
        long lease = await _h.GrantAsync();
        Task<CampaignResponse> campaign = _h.Election.CampaignAsync(new CampaignRequest { Name = B("ctl/elect"), Lease = lease, Value = B("candidate2") }).ResponseAsync;
        await AssertPendingAsync(campaign, 500);
        Assert.Equal(0, await candidate1.InterruptAsync());
        CampaignResponse won = await WithinAsync(campaign);
        Assert.Equal($"ctl/elect/{lease:x}", won.Leader.Key.ToStringUtf8());
        Assert.Equal(won.Leader.Key.ToStringUtf8(), await observer.ReadLineAsync());
        Assert.Equal("candidate2", await observer.ReadLineAsync());

        await _h.Election.ProclaimAsync(new ProclaimRequest { Leader = won.Leader, Value = B("candidate2b") });
        Assert.Equal(won.Leader.Key.ToStringUtf8(), await observer.ReadLineAsync());
        Assert.Equal("candidate2b", await observer.ReadLineAsync());
        await _h.Election.ResignAsync(new ResignRequest { Leader = won.Leader });
    }

    [Fact]
    public async Task TheElectionServicesObserver_SeesEtcdctlsCandidate()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using AsyncServerStreamingCall<LeaderResponse> observe = _h.Election.Observe(new LeaderRequest { Name = B("ctl/elect2") }, cancellationToken: cts.Token);
        Task<bool> next = observe.ResponseStream.MoveNext(cts.Token);
        await using Etcdctl.Running candidate = Etcdctl.Start(Endpoint, "elect", "ctl/elect2", "etcdctl-candidate");
        string key = await candidate.ReadLineAsync();
        Assert.True(await next);
        Assert.Equal((key, "etcdctl-candidate"), (observe.ResponseStream.Current.Kv.Key.ToStringUtf8(), observe.ResponseStream.Current.Kv.Value.ToStringUtf8()));
        Assert.Equal(0, await candidate.InterruptAsync());
    }
}
