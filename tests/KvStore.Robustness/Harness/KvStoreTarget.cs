using KvStore.TestSupport;

namespace KvStore.Robustness.Harness;

/// <summary>A <see cref="KvStoreCluster"/> of real kvstore processes (built next to this assembly) as a run's target.</summary>
public sealed class KvStoreTarget : IClusterTarget
{
    /// <summary>kvstore's --election-timeout default (etcd's), in milliseconds.</summary>
    public const int DefaultElectionTimeoutMs = 1000;

    private readonly KvStoreCluster _cluster;
    private readonly bool[] _paused;

    private KvStoreTarget(KvStoreCluster cluster, int size)
    {
        _cluster = cluster;
        _paused = new bool[size];
    }

    /// <summary>Starts <paramref name="size"/> members with <paramref name="extraFlags"/> and waits until each serves.</summary>
    public static Task<KvStoreTarget> StartAsync(int size, IEnumerable<string> extraFlags) =>
        Task.Run(() => new KvStoreTarget(KvStoreCluster.Start(size, [.. extraFlags]), size));

    public string Name => "kvstore";

    public int Size => _paused.Length;

    public int ElectionTimeoutMs => DefaultElectionTimeoutMs;

    public IReadOnlyList<string> MemberNames => _cluster.Names;

    public IReadOnlyList<string> ClientUrls => _cluster.ClientUrls;

    public bool IsRunning(int member) => _cluster.IsRunning(member);

    public bool IsPaused(int member) => _paused[member];

    public void Kill(int member)
    {
        _cluster.Kill(member);
        _paused[member] = false;
    }

    public Task RestartAsync(int member) => Task.Run(() => _cluster.Restart(member));

    public void Pause(int member)
    {
        _cluster.Process(member).Signal(ChildProcess.SigStop);
        _paused[member] = true;
    }

    public void Resume(int member)
    {
        _cluster.Process(member).Signal(ChildProcess.SigCont);
        _paused[member] = false;
    }

    public string Logs(int lines = 20) => string.Join("\n", Enumerable.Range(0, Size).Select(i =>
        $"--- {_cluster.Names[i]}:\n{(_cluster.IsRunning(i) ? _cluster.Process(i).Tail(lines) : "(not running)")}"));

    public ValueTask DisposeAsync()
    {
        for (int i = 0; i < Size; i++)
        {
            if (_paused[i] && _cluster.IsRunning(i)) Resume(i);
        }
        _cluster.Dispose();
        return ValueTask.CompletedTask;
    }
}
