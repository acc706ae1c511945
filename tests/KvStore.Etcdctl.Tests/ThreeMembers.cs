namespace KvStore.Etcdctl.Tests;

/// <summary>
/// Three members of one cluster, all real etcd 3.4 or all kvstore, started together with the same extra flags
/// (--auth-token ...) on free loopback ports; every process killed and its folder deleted on dispose.
/// </summary>
public sealed class ThreeMembers : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "kvstore-etcdctl-tests", Guid.NewGuid().ToString("N"));
    private readonly List<ChildProcess> _processes = [];

    private ThreeMembers(bool isEtcd)
    {
        IsEtcd = isEtcd;
        ClientPorts = [Ports.Free(), Ports.Free(), Ports.Free()];
        PeerPorts = [Ports.Free(), Ports.Free(), Ports.Free()];
    }

    public bool IsEtcd { get; }

    public int[] ClientPorts { get; }

    public int[] PeerPorts { get; }

    public string Url(int i) => $"http://127.0.0.1:{ClientPorts[i]}";

    public string Output => string.Join("\n---\n", _processes.Select(p => p.Tail(30)));

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
        for (int i = 0; i < 3; i++)
        {
            string[] args =
            [
                "--name", $"m{i}", "--data-dir", Path.Combine(_root, $"m{i}"),
                "--listen-client-urls", Url(i), "--advertise-client-urls", Url(i),
                "--listen-peer-urls", $"http://127.0.0.1:{PeerPorts[i]}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{PeerPorts[i]}",
                "--initial-cluster", initialCluster, "--initial-cluster-token", "jwt-test", "--initial-cluster-state", "new",
                .. extraArgs,
            ];
            _processes.Add(IsEtcd ? new ChildProcess("etcd", args, workingDirectory: _root) : ChildProcess.KvStore(args, _root));
        }
        bool[] ready = await Task.WhenAll(_processes.Select(p => p.WaitForLineAsync(ServerProcess.ReadyLine, TimeSpan.FromSeconds(120))));
        if (!ready.All(r => r))
        {
            throw new InvalidOperationException($"the three {(IsEtcd ? "etcd" : "kvstore")} members did not get ready:\n{Output}");
        }
    }

    public void Dispose()
    {
        foreach (ChildProcess p in _processes) p.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
