using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace KvStore.KvBench.Tests;

/// <summary>A real single-member etcd 3.4 on free loopback ports with a temp data dir; killed on dispose.</summary>
public sealed class EtcdProcess : IAsyncLifetime
{
    private readonly string dataDir = Directory.CreateTempSubdirectory("kvbench-etcd-").FullName;
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Process? process;

    public string Endpoint { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var client = FreePort();
        var peer = FreePort();
        Endpoint = $"http://127.0.0.1:{client}";
        var info = new ProcessStartInfo("etcd")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--data-dir", dataDir, "--listen-client-urls", Endpoint, "--advertise-client-urls", Endpoint,
            "--listen-peer-urls", $"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peer}",
            "--initial-cluster", $"default=http://127.0.0.1:{peer}",
        })
        {
            info.ArgumentList.Add(arg);
        }

        process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.ErrorDataReceived += OnLine;
        process.OutputDataReceived += OnLine;
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("etcd exited before it was ready"));
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    private void OnLine(object sender, DataReceivedEventArgs e)
    {
        if (e.Data?.Contains("ready to serve client requests", StringComparison.Ordinal) == true)
        {
            ready.TrySetResult();
        }
    }

    public async Task DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process?.Dispose();
        Directory.Delete(dataDir, recursive: true);
    }

    public static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
