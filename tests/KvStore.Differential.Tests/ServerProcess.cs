using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Grpc.Net.Client;

namespace KvStore.Differential.Tests;

/// <summary>
/// A single-member etcd-compatible server process (real etcd or the built kvstore) on free loopback ports with
/// its own temp data dir; killed and its data dir removed on dispose.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    public const string ReadyLine = "ready to serve client requests";

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly string _dataRoot;

    private ServerProcess(string name, string fileName, IEnumerable<string> prefixArgs)
    {
        Name = name;
        // tmpfs when there is one: both servers fsync every write, the comparison is about behaviour not disks
        var tmp = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        _dataRoot = Path.Combine(tmp, "kvstore-diff", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dataRoot);
        var client = FreePort();
        var peer = FreePort();
        ClientUrl = $"http://127.0.0.1:{client}";
        var peerUrl = $"http://127.0.0.1:{peer}";
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _dataRoot,
        };
        foreach (var a in prefixArgs)
        {
            start.ArgumentList.Add(a);
        }
        foreach (var a in new[]
        {
            "--data-dir", Path.Combine(_dataRoot, "data"),
            "--listen-client-urls", ClientUrl, "--advertise-client-urls", ClientUrl,
            "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
            "--initial-cluster", "default=" + peerUrl,
        })
        {
            start.ArgumentList.Add(a);
        }
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ETCD_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public string ClientUrl { get; }

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

    /// <summary>Real etcd 3.4 (the <c>etcd</c> binary on PATH).</summary>
    public static ServerProcess StartEtcd() => Ready(new ServerProcess("etcd", "etcd", []));

    /// <summary>The kvstore built next to the tests (<c>dotnet kvstore.dll</c>).</summary>
    public static ServerProcess StartKvStore()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        host = !string.IsNullOrEmpty(host) && File.Exists(host) ? host : "dotnet";
        return Ready(new ServerProcess("kvstore", host, [Path.Combine(AppContext.BaseDirectory, "kvstore.dll")]));
    }

    public GrpcChannel Channel() => GrpcChannel.ForAddress(ClientUrl, new GrpcChannelOptions
    {
        MaxReceiveMessageSize = 64 * 1024 * 1024,
    });

    private static ServerProcess Ready(ServerProcess p)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (p.Output.Contains(ReadyLine, StringComparison.Ordinal))
            {
                return p;
            }
            if (p._process.HasExited)
            {
                break;
            }
            Thread.Sleep(50);
        }
        var output = p.Output;
        p.Dispose();
        throw new InvalidOperationException($"{p.Name} did not get ready:\n{output}");
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_dataRoot, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lines)
        {
            _lines.Add(line);
        }
    }
}
