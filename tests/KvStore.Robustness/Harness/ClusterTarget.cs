using KvStore.TestSupport;

namespace KvStore.Robustness.Harness;

/// <summary>
/// The cluster a run drives: a <see cref="KvStoreCluster"/> of real kvstore or etcd 3.4 members, with the peer proxy
/// when partitions or delays are scheduled and small tmpfs disks when disk-full is. Member indexes are stable for the
/// whole run; every fault method leaves the member it hit serving again when it returns.
/// </summary>
public sealed class ClusterTarget : IAsyncDisposable
{
    /// <summary>The --election-timeout default of both kvstore and etcd, in milliseconds.</summary>
    public const int DefaultElectionTimeoutMs = 1000;

    /// <summary>A member's tmpfs when disk-full is scheduled: etcd 3.4 preallocates its WAL in 64 MB segments, the next while one fills (DiskFullTests).</summary>
    public const int SmallDiskMegabytes = 160;

    private readonly KvStoreCluster _cluster;

    private ClusterTarget(string name, KvStoreCluster cluster)
    {
        Name = name;
        _cluster = cluster;
    }

    /// <summary>Starts <paramref name="size"/> members of <paramref name="server"/> (kvstore or etcd) and waits until each serves.</summary>
    public static Task<ClusterTarget> StartAsync(string server, int size, IReadOnlyList<string> extraFlags, bool proxyPeers = false, bool smallDisks = false,
        bool failpoints = false) =>
        Task.Run(() => new ClusterTarget(server, KvStoreCluster.Start(new KvStoreClusterOptions
        {
            Environment = failpoints ? new Dictionary<string, string> { ["KVSTORE_FAILPOINTS"] = "1" } : new Dictionary<string, string>(),
            Server = server,
            Size = size,
            Extra = extraFlags,
            ProxyPeers = proxyPeers,
            SmallDiskMegabytes = smallDisks ? Enumerable.Range(0, size).ToDictionary(i => i, _ => SmallDiskMegabytes) : new Dictionary<int, int>(),
        })));

    /// <summary>"kvstore" or "etcd".</summary>
    public string Name { get; }

    public int Size => _cluster.Size;

    public int ElectionTimeoutMs => DefaultElectionTimeoutMs;

    public IReadOnlyList<string> MemberNames => _cluster.Names;

    /// <summary>Each member's client URL (http://127.0.0.1:port).</summary>
    public IReadOnlyList<string> ClientUrls => _cluster.ClientUrls;

    public bool IsRunning(int member) => _cluster.IsRunning(member);

    public bool IsPaused(int member) => _cluster.IsPaused(member);

    /// <summary>SIGKILL; the data dir stays.</summary>
    public void Kill(int member) => _cluster.Kill(member);

    /// <summary>Starts a killed member again on its data dir and waits until it serves.</summary>
    public Task RestartAsync(int member) => OnOwnThread(() => _cluster.Restart(member));

    /// <summary>
    /// A blocking cluster operation (a start waits seconds for the ready line) on a thread of its own: on the
    /// thread pool it held one of the few workers a 2-core machine starts with, the clients' and probes' gRPC
    /// continuations queued behind it, and their answers came back together up to a second late, which the
    /// availability checker counted as the server's recovery time.
    /// </summary>
    private static Task OnOwnThread(Action action) =>
        Task.Factory.StartNew(action, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>SIGSTOP: the process freezes with its sockets open.</summary>
    public void Pause(int member) => _cluster.Pause(member);

    public void Resume(int member) => _cluster.Resume(member);

    /// <summary>Cuts the member's Raft links to all the others (clients still reach it).</summary>
    public void Partition(int member) => _cluster.Partition(member);

    public void Heal(int member) => _cluster.Heal(member);

    /// <summary>Holds the member's Raft traffic <paramref name="ms"/> each way; 0 ends it.</summary>
    public void Delay(int member, int ms) => _cluster.Delay(member, ms);

    /// <summary>MemberRemove, kill and wipe: the cluster runs one member short.</summary>
    public Task RemoveAsync(int member) => _cluster.RemoveMemberAsync(member);

    /// <summary>MemberAdd with the same peer URL and a start from an empty data dir; returns once it serves.</summary>
    public Task AddBackAsync(int member) => OnOwnThread(() => _cluster.AddMemberBackAsync(member).GetAwaiter().GetResult());

    /// <summary>Fills the member's tmpfs data dir; returns the bytes written.</summary>
    public long FillDisk(int member) => (_cluster.Disk(member) ?? throw new InvalidOperationException("disk-full needs small disks")).Fill();

    public void FreeDisk(int member) => _cluster.Disk(member)?.Free();

    /// <summary>Arms a failpoint of a kvstore member started with failpoints ("off" disarms).</summary>
    public Task SetFailpointAsync(int member, string name, string term) => _cluster.SetFailpointAsync(member, name, term);

    /// <summary>Waits until the member's process exits by itself (a panic failpoint); false at <paramref name="timeout"/>.</summary>
    public Task<bool> WaitForExitAsync(int member, TimeSpan timeout) => Task.Factory.StartNew(() => _cluster.WaitForExit(member, timeout),
        CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>The last log lines of every member, for a failure message.</summary>
    public string Logs(int lines = 20) => _cluster.Logs(lines);

    /// <summary>Every member's output since the run began, start by start.</summary>
    public string AllLogs() => _cluster.AllLogs();

    public ValueTask DisposeAsync()
    {
        for (int i = 0; i < Size; i++)
        {
            if (IsPaused(i) && IsRunning(i)) Resume(i);
        }
        _cluster.Dispose();
        return ValueTask.CompletedTask;
    }
}
