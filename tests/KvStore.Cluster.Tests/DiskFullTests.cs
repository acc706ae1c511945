using System.Diagnostics;
using Grpc.Core;

namespace KvStore.Cluster.Tests;

/// <summary>
/// A member whose data dir (a small tmpfs) fills up, run against etcd 3.4 and kvstore alike: writes stop being
/// acknowledged, the member says why ("no space left on device"), nothing it acknowledged is lost, and once the
/// space returns (after a restart if it stopped, as etcd 3.4 does on a failed backend commit) it serves writes again.
/// </summary>
public sealed class DiskFullTests(ITestOutputHelper output)
{
    /// <summary>etcd 3.4 preallocates 64 MB WAL segments, the next one while the current one fills: it needs two.</summary>
    private const int DiskMegabytes = 160;

    [Theory]
    [InlineData("etcd")]
    [InlineData("kvstore")]
    public async Task FullDiskStopsWritesLosesNothingAndRecoversWhenSpaceReturns(string server)
    {
        var started = Stopwatch.StartNew();
        using var cluster = KvStoreCluster.Start(new KvStoreClusterOptions
        {
            Size = 1, Server = server, SmallDiskMegabytes = new Dictionary<int, int> { [0] = DiskMegabytes },
        });
        await FaultMechanismTests.PutAsync(cluster, 0, "before", "v");
        SmallDisk disk = cluster.Disk(0)!;
        long filler = disk.Fill();

        var acknowledged = new List<string> { "before" };
        string value = new('v', 1024);
        string? refused = null;
        for (int i = 0; i < 1000 && refused is null; i++)
        {
            string key = $"full/{i:D4}";
            try
            {
                await FaultMechanismTests.PutAsync(cluster, 0, key, value, TimeSpan.FromSeconds(5));
                acknowledged.Add(key);
            }
            catch (RpcException e)
            {
                refused = $"{e.StatusCode}: {e.Status.Detail}";
            }
        }
        string log = cluster.Process(0).Output;
        bool exited = cluster.Process(0).WaitForExit(TimeSpan.FromSeconds(3)); // a refusal may come from a member on its way out
        output.WriteLine($"{server}: filler {filler >> 20} MiB; {acknowledged.Count - 1} writes acknowledged on the full disk, then {refused}; " +
                         $"{(exited ? $"exited with {cluster.Process(0).ExitCode}" : "still running")}");
        output.WriteLine(string.Join("\n", log.Split('\n').Where(l => l.Contains("space", StringComparison.OrdinalIgnoreCase)).Take(5)));
        Assert.NotNull(refused);
        Assert.Contains("no space left on device", log, StringComparison.OrdinalIgnoreCase);

        disk.Free();
        if (exited) cluster.Restart(0);
        await WaitForWriteAsync(cluster);
        foreach (string key in acknowledged)
        {
            Assert.Single((await FaultMechanismTests.GetAsync(cluster, 0, key)).Kvs);
        }
        output.WriteLine($"{server}: recovered with all {acknowledged.Count} acknowledged writes: {started.Elapsed.TotalSeconds:F1}s");
    }

    [Fact]
    public async Task FullLeaderStepsDownTheOthersGoOnAndItCatchesUpWhenSpaceReturns()
    {
        var started = Stopwatch.StartNew();
        // kvstore takes about 17 MB from the start
        using var cluster = KvStoreCluster.Start(new KvStoreClusterOptions { Size = 3, SmallDiskMegabytes = new Dictionary<int, int> { [0] = 48 } });
        await MoveLeaderToAsync(cluster, 0);
        cluster.Disk(0)!.Fill();

        // the first writes reach the full leader and are refused; it steps down and one of the others leads
        for (int i = 0; i < 20; i++) await WaitForWriteAsync(cluster, 1, $"k/{i:D2}");
        Assert.NotEqual(0, await cluster.WaitForLeaderAsync());
        Assert.True(cluster.IsRunning(0), "the full member exited:\n" + cluster.Logs());
        var refused = await Assert.ThrowsAsync<RpcException>(() => FaultMechanismTests.PutAsync(cluster, 0, "via-full", "v"));
        Assert.Equal("etcdserver: mvcc: database space exceeded", refused.Status.Detail);
        Assert.Empty((await FaultMechanismTests.GetAsync(cluster, 0, "k/19")).Kvs); // it refuses the leader's entries

        cluster.Disk(0)!.Free();
        await WaitForWriteAsync(cluster, 0, "after");
        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await FaultMechanismTests.GetAsync(cluster, 0, "k/", prefix: true)).Count < 20)
        {
            Assert.True(DateTime.UtcNow < deadline, "the member did not catch up:\n" + cluster.Logs());
            await Task.Delay(200);
        }
        output.WriteLine($"full leader stepped down, caught up after space returned: {started.Elapsed.TotalSeconds:F1}s");
    }

    /// <summary>
    /// A follower that must catch up by Raft snapshot while its disk is full: the leader's installs fail (none may
    /// leave the member stuck on a half-done install or a hung engine checkpoint), and once space returns the
    /// member is sent a snapshot again and catches up.
    /// </summary>
    [Fact]
    public async Task FollowerCatchingUpBySnapshotOnAFullDiskCatchesUpWhenSpaceReturns()
    {
        var started = Stopwatch.StartNew();
        using var cluster = KvStoreCluster.Start(new KvStoreClusterOptions
        {
            Size = 3, ProxyPeers = true, Extra = ["--snapshot-count", "20", "--experimental-snapshot-catchup-entries", "0"],
            // Room, once freed, for two installs in a row (each needs twice its payload and a 16 MB hash index beside the
            // engine's own): the leader sends another when its install request timed out on a loaded machine.
            SmallDiskMegabytes = new Dictionary<int, int> { [2] = 64 },
        });
        await WaitForWriteAsync(cluster, 0, "first");
        cluster.Partition(2);
        for (int i = 0; i < 100; i++) await WaitForWriteAsync(cluster, 0, $"k/{i:D3}"); // past several snapshots: the log it needs is gone
        cluster.Disk(2)!.Fill(leaveFree: 1 << 20); // below the reserve (appends refused), room for a small snapshot's payload
        cluster.Heal(2);
        await Task.Delay(TimeSpan.FromSeconds(5)); // the leader sends snapshots to the full member
        cluster.Disk(2)!.Free();

        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        while (await CountOrZeroAsync(cluster, 2, "k/") < 100)
        {
            Assert.True(DateTime.UtcNow < deadline, "the member did not catch up:\n" + cluster.Logs());
            await Task.Delay(200);
        }
        try
        {
            await WaitForWriteAsync(cluster, 2, "after"); // and it serves writes again (linearizably: through the leader)
        }
        catch (RpcException e)
        {
            Assert.Fail($"the member caught up but serves no writes ({e.Status}):\n{cluster.Logs()}");
        }
        output.WriteLine($"follower caught up by snapshot after its disk was full: {started.Elapsed.TotalSeconds:F1}s");
    }

    private static async Task<long> CountOrZeroAsync(KvStoreCluster cluster, int i, string prefix)
    {
        try
        {
            return (await FaultMechanismTests.GetAsync(cluster, i, prefix, prefix: true)).Count;
        }
        catch (RpcException)
        {
            return 0;
        }
    }

    /// <summary>etcd's MoveLeader through the current leader until member <paramref name="target"/> leads.</summary>
    private static async Task MoveLeaderToAsync(KvStoreCluster cluster, int target)
    {
        ulong id = await cluster.MemberIdAsync(target);
        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        while (await cluster.WaitForLeaderAsync() is var leader && leader != target)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{cluster.Names[target]} never led:\n{cluster.Logs()}");
            try
            {
                await new Etcdserverpb.Maintenance.MaintenanceClient(cluster.Channel(leader))
                    .MoveLeaderAsync(new Etcdserverpb.MoveLeaderRequest { TargetID = id }, deadline: DateTime.UtcNow.AddSeconds(20));
            }
            catch (RpcException)
            {
                await Task.Delay(300);
            }
        }
    }

    /// <summary>
    /// A disk with room for writes (above the reserve) but not for an engine checkpoint: the raft snapshot's checkpoint
    /// fails, the member stops with the cause (it would otherwise wait for that checkpoint for ever), and after the space
    /// returns a restart serves every write it acknowledged.
    /// </summary>
    [Fact]
    public async Task MemberWhoseEngineCannotWriteStopsAndRecoversAfterARestart()
    {
        var started = Stopwatch.StartNew();
        using var cluster = KvStoreCluster.Start(new KvStoreClusterOptions
        {
            Size = 1, Extra = ["--snapshot-count", "100"], SmallDiskMegabytes = new Dictionary<int, int> { [0] = 160 },
        });
        var acknowledged = new List<string>();
        string large = new('v', 200 << 10);
        for (int i = 0; i < 50; i++) // 10 MB in the engine's memory, not yet in its files
        {
            await FaultMechanismTests.PutAsync(cluster, 0, $"large/{i:D2}", large);
            acknowledged.Add($"large/{i:D2}");
        }
        cluster.Disk(0)!.Fill(leaveFree: 10 << 20); // above the 8 MB reserve: writes go on; a checkpoint (16 MB of hash index alone) cannot

        for (int i = 0; i < 300 && !cluster.Process(0).HasExited; i++) // the snapshot at 100 commands checkpoints the engine
        {
            try
            {
                await FaultMechanismTests.PutAsync(cluster, 0, $"small/{i:D3}", "v", TimeSpan.FromSeconds(5));
                acknowledged.Add($"small/{i:D3}");
            }
            catch (RpcException)
            {
                break;
            }
        }
        Assert.True(cluster.Process(0).WaitForExit(TimeSpan.FromSeconds(60)), "the member did not stop:\n" + cluster.Logs());
        Assert.NotEqual(0, cluster.Process(0).ExitCode);
        Assert.Contains("no space left on device", cluster.Process(0).Output);
        Assert.Contains("a restart recovers the engine's last checkpoint and replays the WAL", cluster.Process(0).Output);
        output.WriteLine(string.Join("\n", cluster.Process(0).Output.Split('\n').Where(l => l.Contains("stopping"))));

        cluster.Disk(0)!.Free();
        cluster.Restart(0);
        foreach (string key in acknowledged)
        {
            Assert.Single((await FaultMechanismTests.GetAsync(cluster, 0, key)).Kvs);
        }
        await WaitForWriteAsync(cluster);
        output.WriteLine($"{acknowledged.Count} writes acknowledged, member stopped on the failed checkpoint, all served after a restart: {started.Elapsed.TotalSeconds:F1}s");
    }

    private static async Task WaitForWriteAsync(KvStoreCluster cluster, int i = 0, string key = "after")
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await FaultMechanismTests.PutAsync(cluster, i, key, "v", TimeSpan.FromSeconds(5));
                return;
            }
            catch (RpcException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
    }
}
