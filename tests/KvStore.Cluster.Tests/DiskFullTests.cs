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
        bool exited = !cluster.IsRunning(0);
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

    /// <summary>Until a put succeeds (a member that kept running may need a moment once space returns).</summary>
    private static async Task WaitForWriteAsync(KvStoreCluster cluster)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await FaultMechanismTests.PutAsync(cluster, 0, "after", "v", TimeSpan.FromSeconds(5));
                return;
            }
            catch (RpcException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
    }
}
