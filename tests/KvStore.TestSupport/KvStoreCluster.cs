using Grpc.Net.Client;

namespace KvStore.TestSupport;

/// <summary>
/// A cluster of kvstore (or etcd 3.4) processes on free loopback ports, each with its temp data dir (or a small
/// tmpfs) and the same extra flags (e.g. <see cref="TestCertificates.ClientFlags"/> and
/// <see cref="TestCertificates.PeerFlags"/> with https schemes). Faults: kill, stop, restart with other flags,
/// pause (SIGSTOP/SIGCONT), and with <see cref="KvStoreClusterOptions.ProxyPeers"/> partitions and delays between
/// members; membership: remove a member and add it back empty. Everything is killed, unmounted and deleted on dispose.
/// </summary>
public sealed partial class KvStoreCluster : IDisposable
{
    /// <summary>The --initial-cluster-token of every member (a test adding a member by hand names it too).</summary>
    public const string Token = "tls-tests";

    /// <summary>Time a member gets to print its ready line (the box is small and loaded).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "kvstore-tests-cluster", Guid.NewGuid().ToString("N"));
    private readonly KvStoreClusterOptions _options;
    private readonly ChildProcess?[] _processes;
    private readonly bool[] _paused;
    private readonly List<string>[] _earlierOutput;
    private readonly IReadOnlyList<string>?[] _memberExtra;
    private readonly string[] _initialCluster;
    private readonly string[] _clusterState;
    private readonly string[] _listenPeerUrls;
    private readonly SmallDisk?[] _disks;
    private readonly GrpcChannel?[] _channels;
    private readonly PeerProxy? _proxy;

    private KvStoreCluster(KvStoreClusterOptions options)
    {
        _options = options;
        int size = options.Size;
        _processes = new ChildProcess?[size];
        _paused = new bool[size];
        _earlierOutput = [.. Enumerable.Range(0, size).Select(_ => new List<string>())];
        _memberExtra = new IReadOnlyList<string>?[size];
        _disks = new SmallDisk?[size];
        _channels = new GrpcChannel?[size];
        Names = Enumerable.Range(1, size).Select(i => $"m{i}").ToArray();
        ClientUrls = Names.Select(_ => $"{options.ClientScheme}://127.0.0.1:{Ports.Stable()}").ToArray();
        _listenPeerUrls = Names.Select(_ => $"{options.PeerScheme}://127.0.0.1:{Ports.Stable()}").ToArray();
        if (options.ProxyPeers)
        {
            _proxy = new PeerProxy(RunningPids);
            PeerUrls = Names.Select((n, i) => $"{options.PeerScheme}://127.0.0.1:{_proxy.Add(n, new Uri(_listenPeerUrls[i]).Port)}").ToArray();
        }
        else
        {
            PeerUrls = _listenPeerUrls;
        }
        InitialCluster = string.Join(",", Names.Select((n, i) => $"{n}={PeerUrls[i]}"));
        _initialCluster = Names.Select(_ => InitialCluster).ToArray();
        _clusterState = Names.Select(_ => "new").ToArray();
    }

    public string[] Names { get; }
    public string[] ClientUrls { get; }

    /// <summary>The peer URL each member advertises (its proxy's when peers are proxied).</summary>
    public string[] PeerUrls { get; }

    public string InitialCluster { get; }

    public int Size => Names.Length;

    /// <summary>All client URLs, comma-separated (etcdctl's --endpoints).</summary>
    public string Endpoints => string.Join(",", ClientUrls);

    /// <summary>The proxy between members (null unless <see cref="KvStoreClusterOptions.ProxyPeers"/>).</summary>
    public PeerProxy? Proxy => _proxy;

    /// <summary>Member <paramref name="i"/>'s data dir (on its <see cref="SmallDisk"/> when it has one).</summary>
    public string DataDir(int i) => Path.Combine(_disks[i]?.Path ?? Path.Combine(_root, Names[i]), "data");

    /// <summary>The tmpfs under member <paramref name="i"/>'s data dir, or null.</summary>
    public SmallDisk? Disk(int i) => _disks[i];

    public ChildProcess Process(int i) => _processes[i] ?? throw new InvalidOperationException($"{Names[i]} is not running");

    public bool IsRunning(int i) => _processes[i] is { HasExited: false };

    public bool IsPaused(int i) => _paused[i];

    /// <summary>Starts <paramref name="size"/> kvstore members together and waits until each serves.</summary>
    public static KvStoreCluster Start(int size, string[] extra, string clientScheme = "http", string peerScheme = "http") =>
        Start(new KvStoreClusterOptions { Size = size, Extra = extra, ClientScheme = clientScheme, PeerScheme = peerScheme });

    /// <summary>Starts every member together and waits until each serves.</summary>
    public static KvStoreCluster Start(KvStoreClusterOptions options)
    {
        var cluster = new KvStoreCluster(options);
        try
        {
            foreach ((int i, int megabytes) in options.SmallDiskMegabytes) cluster._disks[i] = SmallDisk.Mount(megabytes);
            for (int i = 0; i < options.Size; i++) cluster.Launch(i);
            for (int i = 0; i < options.Size; i++) cluster.WaitReady(i);
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>SIGKILL member <paramref name="i"/> (a crash: its data dir stays as the last fsync left it).</summary>
    public void Kill(int i)
    {
        _processes[i]?.KillHard();
        // after the kill: joining a long (debug) output takes a while, and the fault's recorded start must be the kill's
        if (_processes[i] is { } dead) lock (_earlierOutput[i]) _earlierOutput[i].Add(dead.Output);
        _processes[i]?.Dispose();
        _processes[i] = null;
        _paused[i] = false;
    }

    /// <summary>SIGTERM member <paramref name="i"/> and waits for its exit (SIGKILL after a minute).</summary>
    public void Stop(int i)
    {
        if (_processes[i] is not { } p) return;
        if (_paused[i]) p.Signal(ChildProcess.SigCont);
        if (!p.HasExited) p.Signal(ChildProcess.SigTerm);
        if (!p.WaitForExit(TimeSpan.FromSeconds(60))) p.KillHard();
        Kill(i);
    }

    /// <summary>
    /// Starts a killed or stopped member again on its data dir and waits until it serves; <paramref name="extra"/>
    /// replaces the flags it gets from now on (e.g. a low --snapshot-count), null keeps them.
    /// </summary>
    public void Restart(int i, IReadOnlyList<string>? extra = null)
    {
        if (IsRunning(i)) throw new InvalidOperationException($"{Names[i]} runs");
        Kill(i);
        if (extra is not null) _memberExtra[i] = extra;
        Launch(i);
        WaitReady(i);
    }

    private void Launch(int i)
    {
        string memberDir = Path.Combine(_root, Names[i]);
        Directory.CreateDirectory(memberDir);
        string[] args =
        [
            "--name", Names[i], "--data-dir", DataDir(i),
            "--listen-client-urls", ClientUrls[i], "--advertise-client-urls", ClientUrls[i],
            "--listen-peer-urls", _listenPeerUrls[i], "--initial-advertise-peer-urls", PeerUrls[i],
            "--initial-cluster", _initialCluster[i], "--initial-cluster-token", Token,
            "--initial-cluster-state", _clusterState[i],
            .. _memberExtra[i] ?? _options.Extra,
        ];
        _processes[i] = _options.Server == "etcd"
            ? new ChildProcess("etcd", args, workingDirectory: memberDir)
            : ChildProcess.KvStore(args, memberDir, _options.Environment);
        _paused[i] = false;
    }

    private void WaitReady(int i)
    {
        if (!Process(i).WaitFor(SingleMember.ReadyLine, StartTimeout))
        {
            throw new InvalidOperationException($"{Names[i]} did not get ready:\n{Process(i).Tail()}");
        }
    }

    private Dictionary<int, string> RunningPids()
    {
        var pids = new Dictionary<int, string>();
        for (int i = 0; i < _processes.Length; i++)
        {
            if (_processes[i] is { HasExited: false } p) pids[p.Id] = Names[i];
        }
        return pids;
    }

    /// <summary>The last lines of every member's output, for a failure message.</summary>
    public string Logs(int lines = 15) =>
        string.Join("\n", Names.Select((n, i) => $"--- {n}{(IsRunning(i) ? IsPaused(i) ? " (paused)" : "" : " (down)")}:\n{_processes[i]?.Tail(lines)}"));

    /// <summary>Every member's whole output, each earlier start's (ended by a kill or stop) before the current one's.</summary>
    public string AllLogs() =>
        string.Join("\n", Names.Select((n, i) =>
        {
            string[] earlier;
            lock (_earlierOutput[i]) earlier = [.. _earlierOutput[i]];
            IEnumerable<string> starts = earlier.Append(_processes[i]?.Output ?? "");
            return string.Join("\n", starts.Select((output, start) => $"--- {n} (start {start + 1}):\n{output}"));
        }));

    public void Dispose()
    {
        foreach (ChildProcess? p in _processes) p?.Dispose();
        foreach (GrpcChannel? c in _channels) c?.Dispose();
        _proxy?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        foreach (SmallDisk? d in _disks) d?.Dispose();
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
