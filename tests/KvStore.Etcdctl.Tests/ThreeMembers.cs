using System.Diagnostics;

namespace KvStore.Etcdctl.Tests;

/// <summary>
/// Three members of one cluster, all real etcd 3.4 or all kvstore, started together with the same extra flags
/// (--auth-token ...) on free loopback ports; every process killed and its folder deleted on dispose.
/// </summary>
public sealed class ThreeMembers : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "kvstore-etcdctl-tests", Guid.NewGuid().ToString("N"));
    private readonly List<Process> _processes = [];
    private readonly List<List<string>> _output = [];

    private ThreeMembers(bool isEtcd)
    {
        IsEtcd = isEtcd;
        ClientPorts = [ServerProcess.FreePort(), ServerProcess.FreePort(), ServerProcess.FreePort()];
        PeerPorts = [ServerProcess.FreePort(), ServerProcess.FreePort(), ServerProcess.FreePort()];
    }

    public bool IsEtcd { get; }

    public int[] ClientPorts { get; }

    public int[] PeerPorts { get; }

    public string Url(int i) => $"http://127.0.0.1:{ClientPorts[i]}";

    public string Output => string.Join("\n---\n", _output.Select(o =>
    {
        lock (o)
        {
            return string.Join('\n', o.TakeLast(30));
        }
    }));

    public static async Task<ThreeMembers> StartAsync(bool isEtcd, params string[] extraArgs)
    {
        var cluster = new ThreeMembers(isEtcd);
        try
        {
            await cluster.LaunchAsync(extraArgs);
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
        return cluster;
    }

    private async Task LaunchAsync(string[] extraArgs)
    {
        Directory.CreateDirectory(_root);
        string initialCluster = string.Join(',', Enumerable.Range(0, 3).Select(i => $"m{i}=http://127.0.0.1:{PeerPorts[i]}"));
        var ready = new List<TaskCompletionSource>();
        for (int i = 0; i < 3; i++)
        {
            var psi = new ProcessStartInfo(IsEtcd ? "etcd" : "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = _root,
            };
            if (!IsEtcd)
            {
                psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "kvstore.dll"));
            }
            foreach (var a in new[]
            {
                "--name", $"m{i}", "--data-dir", Path.Combine(_root, $"m{i}"),
                "--listen-client-urls", Url(i), "--advertise-client-urls", Url(i),
                "--listen-peer-urls", $"http://127.0.0.1:{PeerPorts[i]}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{PeerPorts[i]}",
                "--initial-cluster", initialCluster, "--initial-cluster-token", "jwt-test", "--initial-cluster-state", "new",
            }.Concat(extraArgs))
            {
                psi.ArgumentList.Add(a);
            }
            foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("ETCD", StringComparison.Ordinal)).ToList())
            {
                psi.Environment.Remove(key);
            }
            var lines = new List<string>();
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            DataReceivedEventHandler add = (_, e) =>
            {
                if (e.Data is null)
                {
                    return;
                }
                lock (lines)
                {
                    lines.Add(e.Data);
                }
                if (e.Data.Contains(ServerProcess.ReadyLine, StringComparison.Ordinal))
                {
                    up.TrySetResult();
                }
            };
            var p = new Process { StartInfo = psi };
            p.OutputDataReceived += add;
            p.ErrorDataReceived += add;
            p.Start();
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            _processes.Add(p);
            _output.Add(lines);
            ready.Add(up);
        }
        var all = Task.WhenAll(ready.Select(r => r.Task));
        if (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(120))) != all)
        {
            throw new InvalidOperationException($"the three {(IsEtcd ? "etcd" : "kvstore")} members did not get ready:\n{Output}");
        }
    }

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            try
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                    p.WaitForExit();
                }
            }
            catch (InvalidOperationException)
            {
            }
            p.Dispose();
        }
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
