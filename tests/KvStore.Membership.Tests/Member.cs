
namespace KvStore.Membership.Tests;

/// <summary>
/// One kvstore member process (<c>dotnet kvstore.dll</c>) on free loopback ports with its own temp data dir.
/// Killed (SIGKILL) and its folder deleted on dispose.
/// </summary>
public sealed class Member : IDisposable
{
    public const string ReadyLine = "ready to serve client requests";

    private string _lastOutput = "";
    private readonly string _root;
    private ChildProcess? _process;

    public Member(string name)
    {
        Name = name;
        _root = Path.Combine(Path.GetTempPath(), "kvstore-membership-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
        ClientPort = Ports.Free();
        PeerPort = Ports.Free();
    }

    public string Name { get; }

    public int ClientPort { get; }

    public int PeerPort { get; set; }

    public string ClientUrl => $"http://127.0.0.1:{ClientPort}";

    public string PeerUrl => $"http://127.0.0.1:{PeerPort}";

    /// <summary>Endpoint for etcdctl (host:port).</summary>
    public string Endpoint => $"127.0.0.1:{ClientPort}";

    /// <summary>What the current (or last) run printed.</summary>
    public string Output => _process?.Output ?? _lastOutput;

    /// <summary>Starts the process and returns once it prints the ready line (fails after <paramref name="seconds"/>).</summary>
    public async Task StartAsync(string initialCluster, string state, int seconds = 120)
    {
        _process = ChildProcess.KvStore(
        [
            "--name", Name, "--data-dir", Path.Combine(_root, "data"),
            "--listen-client-urls", ClientUrl, "--advertise-client-urls", ClientUrl,
            "--listen-peer-urls", PeerUrl, "--initial-advertise-peer-urls", PeerUrl,
            "--initial-cluster", initialCluster, "--initial-cluster-state", state,
            "--heartbeat-interval", "100", "--election-timeout", "1000",
        ], _root);
        if (!await _process.WaitForLineAsync(ReadyLine, TimeSpan.FromSeconds(seconds)))
        {
            throw new InvalidOperationException($"{Name} did not get ready:\n{Output}");
        }
    }

    /// <summary>Waits for the process to end by itself (false after <paramref name="seconds"/>).</summary>
    public async Task<bool> WaitForExitAsync(int seconds)
    {
        if (_process is null) return true;
        ChildProcess process = _process;
        return await Task.Run(() => process.WaitForExit(TimeSpan.FromSeconds(seconds)));
    }

    public void Kill()
    {
        _lastOutput = _process?.Output ?? _lastOutput;
        _process?.Dispose();
        _process = null;
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
