namespace KvStore.TestSupport;

/// <summary>
/// One member of real etcd 3.4 (the <c>etcd</c> on PATH) or of the kvstore built next to the tests, alone in its
/// cluster, on free loopback ports with its own temp data dir; killed and the data dir removed on dispose.
/// </summary>
public sealed class SingleMember : IDisposable
{
    public const string ReadyLine = "ready to serve client requests";

    private readonly string _root;

    private SingleMember(string name, string root, string clientUrl, ChildProcess process)
    {
        Name = name;
        _root = root;
        ClientUrl = clientUrl;
        Process = process;
    }

    /// <summary>"etcd" or "kvstore".</summary>
    public string Name { get; }

    /// <summary>http://127.0.0.1:port</summary>
    public string ClientUrl { get; }

    /// <summary>127.0.0.1:port, as etcdctl's --endpoints takes it.</summary>
    public string Endpoint => new Uri(ClientUrl).Authority;

    public string DataDir => Path.Combine(_root, "data");

    public ChildProcess Process { get; }

    public string Output => Process.Output;

    /// <summary>Real etcd 3.4 with <paramref name="extra"/> flags; returns once it serves.</summary>
    public static SingleMember StartEtcd(IEnumerable<string>? extra = null, bool tmpfs = false) =>
        Start("etcd", tmpfs, (args, root) => new ChildProcess("etcd", [.. args, .. extra ?? []], workingDirectory: root));

    /// <summary>The kvstore built next to the tests with <paramref name="extra"/> flags; returns once it serves.</summary>
    public static SingleMember StartKvStore(IEnumerable<string>? extra = null, bool tmpfs = false) =>
        Start("kvstore", tmpfs, (args, root) => ChildProcess.KvStore([.. args, .. extra ?? []], root));

    /// <summary>
    /// <paramref name="tmpfs"/>: data under /dev/shm when there is one (both servers fsync every write; for tests about
    /// behaviour, not disks).
    /// </summary>
    private static SingleMember Start(string name, bool tmpfs, Func<string[], string, ChildProcess> launch)
    {
        string tmp = tmpfs && Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        string root = Path.Combine(tmp, $"kvstore-tests-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        string clientUrl = $"http://127.0.0.1:{Ports.Free()}";
        string peerUrl = $"http://127.0.0.1:{Ports.Free()}";
        string[] args =
        [
            "--data-dir", Path.Combine(root, "data"),
            "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
            "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
            "--initial-cluster", "default=" + peerUrl,
        ];
        var member = new SingleMember(name, root, clientUrl, launch(args, root));
        if (!member.Process.WaitFor(ReadyLine, TimeSpan.FromSeconds(90)))
        {
            string output = member.Output;
            member.Dispose();
            throw new InvalidOperationException($"{name} did not get ready:\n{output}");
        }
        return member;
    }

    public void Dispose()
    {
        Process.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
