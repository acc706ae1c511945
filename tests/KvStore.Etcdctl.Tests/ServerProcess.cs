
namespace KvStore.Etcdctl.Tests;

/// <summary>
/// One member process, real etcd 3.4 or the built kvstore (<c>dotnet kvstore.dll</c>), on free loopback ports
/// with a temp data dir, started with the same etcd flags. Killed and its folder deleted on dispose.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    public const string ReadyLine = "ready to serve client requests";

    private readonly string _root;
    private ChildProcess? _process;
    private string _lastOutput = "";

    private readonly string[] _extraArgs;

    private ServerProcess(string name, bool isEtcd, string? dataDir, string[] extraArgs)
    {
        _extraArgs = extraArgs;
        Name = name;
        IsEtcd = isEtcd;
        _root = Path.Combine(Path.GetTempPath(), "kvstore-etcdctl-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
        DataDir = dataDir ?? Path.Combine(_root, "data");
        ClientPort = Ports.Free();
        PeerPort = Ports.Free();
    }

    public string Name { get; }

    public bool IsEtcd { get; }

    public string DataDir { get; }

    /// <summary>A scratch folder of this member's (deleted on dispose).</summary>
    public string Scratch => _root;

    public int ClientPort { get; private set; }

    public int PeerPort { get; private set; }

    /// <summary>Endpoint with the scheme, as users usually give it.</summary>
    public string Url => $"http://127.0.0.1:{ClientPort}";

    /// <summary>Endpoint without the scheme (for the etcdctl commands whose :authority Kestrel rejects with a scheme).</summary>
    public string HostPort => $"127.0.0.1:{ClientPort}";

    /// <summary>Per-member values tests substitute into commands (lease ids, revisions).</summary>
    public Dictionary<string, string> Vars { get; } = [];

    /// <summary>What the current (or last) run printed.</summary>
    public string Output => _process?.Output ?? _lastOutput;

    public static ServerProcess StartEtcd() => Start("etcd", isEtcd: true, null, []);

    public static ServerProcess StartKvStore(string? dataDir = null) => Start("kvstore", isEtcd: false, dataDir, []);

    /// <summary>Starts etcd or kvstore with more flags after the usual ones (e.g. --auth-token).</summary>
    public static ServerProcess Start(bool isEtcd, params string[] extraArgs) =>
        Start(isEtcd ? "etcd" : "kvstore", isEtcd, null, extraArgs);

    private static ServerProcess Start(string name, bool isEtcd, string? dataDir, string[] extraArgs)
    {
        var server = new ServerProcess(name, isEtcd, dataDir, extraArgs);
        try
        {
            server.Launch();
        }
        catch
        {
            server.Dispose();
            throw;
        }
        return server;
    }

    /// <summary>Kills the process (SIGKILL, no shutdown) and waits for it to be gone.</summary>
    public void Kill()
    {
        _process?.KillHard();
        _lastOutput = _process?.Output ?? _lastOutput;
        _process?.Dispose();
        _process = null;
    }

    /// <summary>Starts the process again on the same data dir and ports.</summary>
    public void Restart()
    {
        Kill();
        Launch();
    }

    private void Launch()
    {
        var peer = $"http://127.0.0.1:{PeerPort}";
        string[] args =
        [
            "--name", "default",
            "--data-dir", DataDir,
            "--listen-client-urls", Url,
            "--advertise-client-urls", Url,
            "--listen-peer-urls", peer,
            "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "default=" + peer,
            .. _extraArgs,
        ];
        _process = IsEtcd ? new ChildProcess("etcd", args, workingDirectory: _root) : ChildProcess.KvStore(args, _root);
        if (!_process.WaitFor(ReadyLine, TimeSpan.FromSeconds(90)))
        {
            throw new InvalidOperationException($"{Name} did not get ready:\n{Output}");
        }
    }

    public void Dispose()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
        }
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public override string ToString() => Name;
}
