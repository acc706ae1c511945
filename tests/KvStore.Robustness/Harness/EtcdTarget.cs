using KvStore.TestSupport;

namespace KvStore.Robustness.Harness;

/// <summary>
/// A cluster of real etcd 3.4 processes (the <c>etcd</c> on PATH) on free loopback ports, each on its own data dir
/// under one temp root; a killed member restarts on its data dir (etcd then ignores the initial-cluster flags).
/// </summary>
public sealed class EtcdTarget : IClusterTarget
{
    /// <summary>etcd's --election-timeout default, in milliseconds.</summary>
    public const int DefaultElectionTimeoutMs = 1000;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "kvstore-robustness-etcd", Guid.NewGuid().ToString("N"));
    private readonly string[] _names;
    private readonly string[] _clientUrls;
    private readonly string[] _peerUrls;
    private readonly string[] _extra;
    private readonly ChildProcess?[] _processes;
    private readonly bool[] _paused;

    private EtcdTarget(int size, string[] extra)
    {
        _extra = extra;
        _names = Enumerable.Range(1, size).Select(i => $"m{i}").ToArray();
        _clientUrls = _names.Select(_ => $"http://127.0.0.1:{Ports.Free()}").ToArray();
        _peerUrls = _names.Select(_ => $"http://127.0.0.1:{Ports.Free()}").ToArray();
        _processes = new ChildProcess?[size];
        _paused = new bool[size];
    }

    /// <summary>Starts <paramref name="size"/> members together and waits until each serves (the cluster has a leader).</summary>
    public static async Task<EtcdTarget> StartAsync(int size, IEnumerable<string> extraFlags)
    {
        var target = new EtcdTarget(size, [.. extraFlags]);
        try
        {
            for (int i = 0; i < size; i++) target.Launch(i);
            for (int i = 0; i < size; i++) await target.WaitReadyAsync(i).ConfigureAwait(false);
            return target;
        }
        catch
        {
            await target.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public string Name => "etcd";

    public int Size => _names.Length;

    public int ElectionTimeoutMs => DefaultElectionTimeoutMs;

    public IReadOnlyList<string> MemberNames => _names;

    public IReadOnlyList<string> ClientUrls => _clientUrls;

    public bool IsRunning(int member) => _processes[member] is { HasExited: false };

    public bool IsPaused(int member) => _paused[member];

    public void Kill(int member)
    {
        _processes[member]?.KillHard();
        _processes[member]?.Dispose();
        _processes[member] = null;
        _paused[member] = false;
    }

    public async Task RestartAsync(int member)
    {
        if (IsRunning(member)) throw new InvalidOperationException($"{_names[member]} runs");
        Launch(member);
        await WaitReadyAsync(member).ConfigureAwait(false);
    }

    public void Pause(int member)
    {
        Process(member).Signal(ChildProcess.SigStop);
        _paused[member] = true;
    }

    public void Resume(int member)
    {
        Process(member).Signal(ChildProcess.SigCont);
        _paused[member] = false;
    }

    public string Logs(int lines = 20) => string.Join("\n", Enumerable.Range(0, Size).Select(i =>
        $"--- {_names[i]}:\n{(IsRunning(i) ? Process(i).Tail(lines) : "(not running)")}"));

    private ChildProcess Process(int member) => _processes[member] ?? throw new InvalidOperationException($"{_names[member]} is not running");

    private void Launch(int i)
    {
        string initialCluster = string.Join(",", _names.Select((n, j) => $"{n}={_peerUrls[j]}"));
        _processes[i] = new ChildProcess("etcd",
        [
            "--name", _names[i], "--data-dir", Path.Combine(_root, _names[i]),
            "--listen-client-urls", _clientUrls[i], "--advertise-client-urls", _clientUrls[i],
            "--listen-peer-urls", _peerUrls[i], "--initial-advertise-peer-urls", _peerUrls[i],
            "--initial-cluster", initialCluster, "--initial-cluster-token", "robustness",
            .. _extra,
        ]);
    }

    private async Task WaitReadyAsync(int i)
    {
        if (!await Process(i).WaitForLineAsync(SingleMember.ReadyLine, StartTimeout).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"etcd {_names[i]} did not get ready:\n{Process(i).Tail()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Task.Run(() =>
        {
            foreach (ChildProcess? p in _processes) p?.Dispose();
        }).ConfigureAwait(false);
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
