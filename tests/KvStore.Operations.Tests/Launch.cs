namespace KvStore.Operations.Tests;

/// <summary>
/// The flags of a one-member cluster on given loopback ports (etcd's and kvstore's are the same), and the two ways
/// to start it: real etcd 3.4 or the kvstore built next to the tests.
/// </summary>
public sealed record Launch(string DataDir, int ClientPort, int PeerPort, string Name = "default")
{
    public static Launch OnFreePorts(string dataDir, string name = "default") => new(dataDir, Ports.Free(), Ports.Free(), name);

    public string ClientUrl => $"http://127.0.0.1:{ClientPort}";

    public string PeerUrl => $"http://127.0.0.1:{PeerPort}";

    public string Endpoint => $"127.0.0.1:{ClientPort}";

    public string[] Args =>
    [
        "--name", Name, "--data-dir", DataDir,
        "--listen-client-urls", ClientUrl, "--advertise-client-urls", ClientUrl,
        "--listen-peer-urls", PeerUrl, "--initial-advertise-peer-urls", PeerUrl,
        "--initial-cluster", $"{Name}={PeerUrl}",
    ];

    /// <summary>Starts <paramref name="server"/> ("etcd" or "kvstore"); kvstore logs text lines as etcd 3.4's capnslog does unless told otherwise.</summary>
    public ChildProcess Start(string server, params string[] extra) => server == "etcd"
        ? new ChildProcess("etcd", [.. Args, .. extra])
        : ChildProcess.KvStore([.. Args, .. extra.Contains("--logger") ? [] : new[] { "--logger", "capnslog" }, .. extra]);

    /// <summary>Runs <paramref name="server"/> until it exits by itself (within 90 s): its exit code and output.</summary>
    public (int Code, string Output) RunToExit(string server, params string[] extra)
    {
        using ChildProcess process = Start(server, extra);
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(90)), $"{server} did not exit:\n{process.Output}");
        return (process.ExitCode, process.Output);
    }
}
