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

    /// <summary>http://127.0.0.1:port (https://..., or unix://localhost:port for a socket in <see cref="WorkingDirectory"/>)</summary>
    public string ClientUrl { get; }

    /// <summary>127.0.0.1:port, as etcdctl's --endpoints takes it.</summary>
    public string Endpoint => new Uri(ClientUrl).Authority;

    /// <summary>Where the server runs (a unix:// client URL's socket file is relative to it).</summary>
    public string WorkingDirectory => _root;

    public string DataDir => Path.Combine(_root, "data");

    public ChildProcess Process { get; }

    public string Output => Process.Output;

    /// <summary>
    /// Real etcd 3.4 with <paramref name="extra"/> flags; returns once it serves. <paramref name="clientScheme"/> and
    /// <paramref name="peerScheme"/>: https (or unix/unixs for clients) with TLS flags in <paramref name="extra"/>
    /// (<see cref="TestCertificates.ClientFlags"/>, <see cref="TestCertificates.PeerFlags"/>, --auto-tls...).
    /// </summary>
    public static SingleMember StartEtcd(IEnumerable<string>? extra = null, bool tmpfs = false, string clientScheme = "http", string peerScheme = "http") =>
        Start("etcd", tmpfs, clientScheme, peerScheme, (args, root) => new ChildProcess("etcd", [.. args, .. extra ?? []], workingDirectory: root));

    /// <summary>The kvstore built next to the tests with <paramref name="extra"/> flags, as <see cref="StartEtcd"/>; returns once it serves.</summary>
    public static SingleMember StartKvStore(IEnumerable<string>? extra = null, bool tmpfs = false, string clientScheme = "http", string peerScheme = "http") =>
        Start("kvstore", tmpfs, clientScheme, peerScheme, (args, root) => ChildProcess.KvStore([.. args, .. extra ?? []], root));

    /// <summary>Either server by <see cref="Name"/> ("etcd" or "kvstore"), as <see cref="StartEtcd"/>.</summary>
    public static SingleMember Start(string name, IEnumerable<string>? extra = null, string clientScheme = "http", string peerScheme = "http") =>
        name == "etcd" ? StartEtcd(extra, clientScheme: clientScheme, peerScheme: peerScheme) : StartKvStore(extra, clientScheme: clientScheme, peerScheme: peerScheme);

    /// <summary>
    /// <paramref name="tmpfs"/>: data under /dev/shm when there is one (both servers fsync every write; for tests about
    /// behaviour, not disks).
    /// </summary>
    private static SingleMember Start(string name, bool tmpfs, string clientScheme, string peerScheme, Func<string[], string, ChildProcess> launch)
    {
        // A port free when chosen can be taken before the server binds it (by another test's server, which picks from the
        // same range): such a start is tried once more on other ports.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return StartOnce(name, tmpfs, clientScheme, peerScheme, launch);
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("address already in use", StringComparison.Ordinal))
            {
            }
        }
    }

    private static SingleMember StartOnce(string name, bool tmpfs, string clientScheme, string peerScheme, Func<string[], string, ChildProcess> launch)
    {
        string tmp = tmpfs && Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        string root = Path.Combine(tmp, $"kvstore-tests-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        string host = clientScheme is "unix" or "unixs" ? "localhost" : "127.0.0.1";
        // below the kernel's ephemeral range, where no outbound connection takes the port between the choice and the bind
        string clientUrl = $"{clientScheme}://{host}:{Ports.Stable()}";
        string peerUrl = $"{peerScheme}://127.0.0.1:{Ports.Stable()}";
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
