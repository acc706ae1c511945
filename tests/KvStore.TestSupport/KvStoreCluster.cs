namespace KvStore.TestSupport;

/// <summary>
/// A cluster of kvstore processes on free loopback ports, each with its temp data dir and the same extra flags
/// (e.g. <see cref="TestCertificates.ClientFlags"/> and <see cref="TestCertificates.PeerFlags"/> with https
/// schemes); members can be killed and restarted; everything is killed and deleted on dispose.
/// </summary>
public sealed class KvStoreCluster : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "kvstore-tests-cluster", Guid.NewGuid().ToString("N"));
    private readonly string[] _extra;
    private readonly ChildProcess?[] _processes;

    private KvStoreCluster(int size, string clientScheme, string peerScheme, string[] extra)
    {
        _extra = extra;
        _processes = new ChildProcess?[size];
        Names = Enumerable.Range(1, size).Select(i => $"m{i}").ToArray();
        ClientUrls = Names.Select(_ => $"{clientScheme}://127.0.0.1:{Ports.Free()}").ToArray();
        PeerUrls = Names.Select(_ => $"{peerScheme}://127.0.0.1:{Ports.Free()}").ToArray();
        InitialCluster = string.Join(",", Names.Select((n, i) => $"{n}={PeerUrls[i]}"));
    }

    public string[] Names { get; }
    public string[] ClientUrls { get; }
    public string[] PeerUrls { get; }
    public string InitialCluster { get; }

    /// <summary>All client URLs, comma-separated (etcdctl's --endpoints).</summary>
    public string Endpoints => string.Join(",", ClientUrls);

    public ChildProcess Process(int i) => _processes[i] ?? throw new InvalidOperationException($"{Names[i]} is not running");

    public bool IsRunning(int i) => _processes[i] is { HasExited: false };

    /// <summary>Starts <paramref name="size"/> members together and waits until each serves.</summary>
    public static KvStoreCluster Start(int size, string[] extra, string clientScheme = "http", string peerScheme = "http")
    {
        var cluster = new KvStoreCluster(size, clientScheme, peerScheme, extra);
        try
        {
            for (int i = 0; i < size; i++) cluster.Launch(i);
            for (int i = 0; i < size; i++) cluster.WaitReady(i);
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>SIGKILL member <paramref name="i"/> (its data dir stays).</summary>
    public void Kill(int i)
    {
        _processes[i]?.KillHard();
        _processes[i]?.Dispose();
        _processes[i] = null;
    }

    /// <summary>Starts a killed member again on its data dir and waits until it serves.</summary>
    public void Restart(int i)
    {
        if (IsRunning(i)) throw new InvalidOperationException($"{Names[i]} runs");
        Launch(i);
        WaitReady(i);
    }

    private void Launch(int i)
    {
        _processes[i] = ChildProcess.KvStore(
        [
            "--name", Names[i], "--data-dir", Path.Combine(_root, Names[i]),
            "--listen-client-urls", ClientUrls[i], "--advertise-client-urls", ClientUrls[i],
            "--listen-peer-urls", PeerUrls[i], "--initial-advertise-peer-urls", PeerUrls[i],
            "--initial-cluster", InitialCluster, "--initial-cluster-token", "tls-tests",
            .. _extra,
        ]);
    }

    private void WaitReady(int i)
    {
        if (!Process(i).WaitFor(SingleMember.ReadyLine, TimeSpan.FromSeconds(120)))
        {
            throw new InvalidOperationException($"{Names[i]} did not get ready:\n{Process(i).Tail()}");
        }
    }

    public void Dispose()
    {
        foreach (ChildProcess? p in _processes) p?.Dispose();
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
