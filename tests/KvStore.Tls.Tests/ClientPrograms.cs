namespace KvStore.Tls.Tests;

/// <summary>
/// The Go clientv3 program in clients/go, built once per test run with Debian's etcd 3.4 source in GOPATH mode
/// (golang-go and golang-etcd-server-dev; tools/test.sh installs them).
/// </summary>
internal static class GoClient
{
    private static readonly Lazy<string> Program = new(BuildOnce);

    public static string Build() => Program.Value;

    private static string BuildOnce()
    {
        string source = Path.Combine(AppContext.BaseDirectory, "clients", "go");
        string output = Path.Combine(Path.GetTempPath(), $"kvstore-tests-goclient-{Environment.ProcessId}");
        var (code, stdout, stderr) = ChildProcess.Run("go", ["build", "-o", output, "."], workingDirectory: source,
            environment: new Dictionary<string, string> { ["GOPATH"] = "/usr/share/gocode", ["GO111MODULE"] = "off", ["GOFLAGS"] = "" },
            timeout: TimeSpan.FromMinutes(5));
        if (code != 0) throw new InvalidOperationException($"go build failed (is golang-etcd-server-dev installed?):\n{stdout}{stderr}");
        return output;
    }
}

/// <summary>
/// The etcd3 npm client (pinned to 1.1.2) installed with npm into a cache directory under the temp dir once,
/// beside clients/node/client.js.
/// </summary>
internal static class NodeClient
{
    public const string Version = "1.1.2";

    private static readonly Lazy<string> Script = new(InstallOnce);

    public static string Install() => Script.Value;

    private static string InstallOnce()
    {
        string cache = Path.Combine(Path.GetTempPath(), "kvstore-tests-etcd3-" + Version);
        if (!File.Exists(Path.Combine(cache, "node_modules", "etcd3", "package.json")))
        {
            Directory.CreateDirectory(cache);
            var (code, stdout, stderr) = ChildProcess.Run("npm",
                ["install", "--prefix", cache, "--no-audit", "--no-fund", "--no-save", "--loglevel", "error", "etcd3@" + Version],
                timeout: TimeSpan.FromMinutes(5));
            if (code != 0) throw new InvalidOperationException($"npm install etcd3 failed:\n{stdout}{stderr}");
        }
        string script = Path.Combine(cache, "client.js");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "clients", "node", "client.js"), script, overwrite: true);
        return script;
    }
}
