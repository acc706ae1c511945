namespace KvStore.Host.Tests;

/// <summary>
/// A kvstore process on free loopback ports (client, peer, metrics) with a temp data dir that is also its
/// working directory. Stopped (killed if need be) and deleted on dispose.
/// </summary>
internal sealed class Member : IDisposable
{
    private readonly TempDir _dir = new();

    public Member(IEnumerable<string>? extraArgs = null, IReadOnlyDictionary<string, string>? environment = null, bool urlFlags = true)
    {
        ClientPort = Ports.Free();
        PeerPort = Ports.Free();
        MetricsPort = Ports.Free();
        var args = new List<string>();
        if (urlFlags)
        {
            args.AddRange(
            [
                "--data-dir", DataDir,
                "--listen-client-urls", ClientUrl,
                "--advertise-client-urls", ClientUrl,
                "--listen-peer-urls", PeerUrl,
                "--initial-advertise-peer-urls", PeerUrl,
                "--listen-metrics-urls", MetricsUrl,
            ]);
        }
        args.AddRange(extraArgs ?? []);
        Process = new KvStoreProcess(args, _dir.Path, environment);
    }

    public KvStoreProcess Process { get; }

    public string WorkingDirectory => _dir.Path;

    public string DataDir => Path.Combine(_dir.Path, "data");

    public int ClientPort { get; }

    public int PeerPort { get; }

    public int MetricsPort { get; }

    public string ClientUrl => $"http://127.0.0.1:{ClientPort}";

    public string PeerUrl => $"http://127.0.0.1:{PeerPort}";

    public string MetricsUrl => $"http://127.0.0.1:{MetricsPort}";

    public void Dispose()
    {
        Process.Dispose();
        _dir.Dispose();
    }
}
