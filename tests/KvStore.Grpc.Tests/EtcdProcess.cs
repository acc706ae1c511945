using System.Diagnostics;
using System.Text;

namespace KvStore.Grpc.Tests;

/// <summary>
/// Real etcd 3.4 (the behavioural reference) as one member on free loopback ports with a temp data dir; disposing
/// kills it and deletes the dir. Starting fails when etcd is not installed (apt etcd-server).
/// </summary>
public sealed class EtcdProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private EtcdProcess(Process process, string dataDir, string clientUrl)
    {
        _process = process;
        DataDir = dataDir;
        ClientUrl = clientUrl;
    }

    public string DataDir { get; }

    /// <summary>http://127.0.0.1:port, no trailing slash.</summary>
    public string ClientUrl { get; }

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    public static async Task<EtcdProcess> StartAsync(string name = "default")
    {
        int clientPort = GrpcHost.FreePort();
        int peerPort = GrpcHost.FreePort();
        string dataDir = Path.Combine(Path.GetTempPath(), "kvstore-etcd-reference", Guid.NewGuid().ToString("N"));
        string client = $"http://127.0.0.1:{clientPort}";
        string peer = $"http://127.0.0.1:{peerPort}";
        var psi = new ProcessStartInfo("etcd") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[]
                 {
                     "--name", name, "--data-dir", dataDir,
                     "--listen-client-urls", client, "--advertise-client-urls", client,
                     "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                     "--initial-cluster", $"{name}={peer}",
                 })
        {
            psi.ArgumentList.Add(a);
        }
        var etcd = new EtcdProcess(Process.Start(psi)!, dataDir, client);
        etcd._process.OutputDataReceived += (_, e) => etcd.Append(e.Data);
        etcd._process.ErrorDataReceived += (_, e) => etcd.Append(e.Data);
        etcd._process.BeginOutputReadLine();
        etcd._process.BeginErrorReadLine();
        try
        {
            await etcd.WaitReadyAsync();
            return etcd;
        }
        catch
        {
            await etcd.DisposeAsync();
            throw;
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    /// <summary>Until a linearizable range succeeds: the member has a leader and serves the gateway.</summary>
    private async Task WaitReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException("etcd exited: " + Log);
            try
            {
                using HttpResponseMessage r = await http.PostAsync(ClientUrl + "/v3/kv/range", new StringContent("{\"key\":\"AA==\"}"));
                if (r.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("etcd did not become ready: " + Log);
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
