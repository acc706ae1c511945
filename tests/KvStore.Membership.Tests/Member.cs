using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace KvStore.Membership.Tests;

/// <summary>
/// One kvstore member process (<c>dotnet kvstore.dll</c>) on free loopback ports with its own temp data dir.
/// Killed (SIGKILL) and its folder deleted on dispose.
/// </summary>
public sealed class Member : IDisposable
{
    public const string ReadyLine = "ready to serve client requests";

    private readonly List<string> _lines = [];
    private readonly string _root;
    private Process? _process;

    public Member(string name)
    {
        Name = name;
        _root = Path.Combine(Path.GetTempPath(), "kvstore-membership-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
        ClientPort = FreePort();
        PeerPort = FreePort();
    }

    public string Name { get; }

    public int ClientPort { get; }

    public int PeerPort { get; set; }

    public string ClientUrl => $"http://127.0.0.1:{ClientPort}";

    public string PeerUrl => $"http://127.0.0.1:{PeerPort}";

    /// <summary>Endpoint for etcdctl (host:port).</summary>
    public string Endpoint => $"127.0.0.1:{ClientPort}";

    public string Output
    {
        get
        {
            lock (_lines) return string.Join('\n', _lines);
        }
    }

    /// <summary>Starts the process and returns once it prints the ready line (fails after <paramref name="seconds"/>).</summary>
    public async Task StartAsync(string initialCluster, string state, int seconds = 120)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _root,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "kvstore.dll"));
        foreach (string arg in new[]
        {
            "--name", Name, "--data-dir", Path.Combine(_root, "data"),
            "--listen-client-urls", ClientUrl, "--advertise-client-urls", ClientUrl,
            "--listen-peer-urls", PeerUrl, "--initial-advertise-peer-urls", PeerUrl,
            "--initial-cluster", initialCluster, "--initial-cluster-state", state,
            "--heartbeat-interval", "100", "--election-timeout", "1000",
        })
        {
            start.ArgumentList.Add(arg);
        }
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("ETCD", StringComparison.Ordinal)).ToList()) start.Environment.Remove(key);
        var process = new Process { StartInfo = start };
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        DataReceivedEventHandler add = (_, e) =>
        {
            if (e.Data is null) return;
            lock (_lines) _lines.Add(e.Data);
            if (e.Data.Contains(ReadyLine, StringComparison.Ordinal)) ready.TrySetResult();
        };
        process.OutputDataReceived += add;
        process.ErrorDataReceived += add;
        process.Start();
        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!ready.Task.IsCompleted)
        {
            if (process.HasExited || DateTime.UtcNow > deadline) throw new InvalidOperationException($"{Name} did not get ready:\n{Output}");
            await Task.WhenAny(ready.Task, Task.Delay(200));
        }
    }

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

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(host) && File.Exists(host) ? host : "dotnet";
    }
}
