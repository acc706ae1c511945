using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace KvStore.Etcdctl.Tests;

/// <summary>
/// One member process, real etcd 3.4 or the built kvstore (<c>dotnet kvstore.dll</c>), on free loopback ports
/// with a temp data dir, started with the same etcd flags. Killed and its folder deleted on dispose.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    public const string ReadyLine = "ready to serve client requests";

    private readonly List<string> _lines = [];
    private readonly string _root;
    private Process? _process;

    private readonly string[] _extraArgs;

    private ServerProcess(string name, bool isEtcd, string? dataDir, string[] extraArgs)
    {
        _extraArgs = extraArgs;
        Name = name;
        IsEtcd = isEtcd;
        _root = Path.Combine(Path.GetTempPath(), "kvstore-etcdctl-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
        DataDir = dataDir ?? Path.Combine(_root, "data");
        ClientPort = FreePort();
        PeerPort = FreePort();
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

    public string Output
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

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
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
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
        lock (_lines)
        {
            _lines.Clear();
        }
        var peer = $"http://127.0.0.1:{PeerPort}";
        var start = new ProcessStartInfo(IsEtcd ? "etcd" : DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = _root,
        };
        if (!IsEtcd)
        {
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "kvstore.dll"));
        }
        foreach (var arg in new[]
        {
            "--name", "default",
            "--data-dir", DataDir,
            "--listen-client-urls", Url,
            "--advertise-client-urls", Url,
            "--listen-peer-urls", peer,
            "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "default=" + peer,
        }.Concat(_extraArgs))
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ETCD", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }
        var process = new Process { StartInfo = start };
        using var ready = new ManualResetEventSlim();
        DataReceivedEventHandler add = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            lock (_lines)
            {
                _lines.Add(e.Data);
            }
            if (e.Data.Contains(ReadyLine, StringComparison.Ordinal))
            {
                try
                {
                    ready.Set();
                }
                catch (ObjectDisposedException)
                {
                }
            }
        };
        process.OutputDataReceived += add;
        process.ErrorDataReceived += add;
        process.Start();
        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!ready.Wait(200))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                if (process.HasExited)
                {
                    process.WaitForExit(); // the output readers reach the end: the message has all the member printed
                }
                throw new InvalidOperationException($"{Name} did not get ready:\n{Output}");
            }
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

    /// <summary>A loopback port free at the time of the call (bound to port 0, then released).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string DotnetHost()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(host) && File.Exists(host) ? host : "dotnet";
    }
}
