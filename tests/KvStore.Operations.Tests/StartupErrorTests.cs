using System.Net;
using System.Net.Sockets;

namespace KvStore.Operations.Tests;

/// <summary>
/// A start that cannot go on ends with one line in etcd's words and a non-zero exit: the same situation given to
/// real etcd 3.4 (capnslog, its default logger) and to kvstore (--logger capnslog) must print the same error.
/// </summary>
public sealed class StartupErrorTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("kvstore-ops-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void A_data_dir_under_a_file_cannot_be_listed()
    {
        string file = Path.Combine(_root, "file");
        File.WriteAllText(file, "");
        string dir = Path.Combine(file, "data");
        AssertBothFail("error listing data dir: " + dir, dir);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void A_data_dir_that_cannot_be_created()
    {
        string readOnly = Path.Combine(_root, "ro");
        Directory.CreateDirectory(readOnly);
        File.SetUnixFileMode(readOnly, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(_root, File.GetUnixFileMode(_root) | UnixFileMode.OtherExecute);
        string dir = Path.Combine(readOnly, "data");
        // root may write anywhere: run both as nobody then (setpriv), as an operator's service user would be.
        string[] asUser = Environment.UserName == "root" ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
        foreach (string server in new[] { "etcd", "kvstore" })
        {
            var launch = Launch.OnFreePorts(dir);
            string[] command = server == "etcd"
                ? [.. asUser, "etcd", .. launch.Args]
                : [.. asUser, Binaries.DotnetHost(), Binaries.KvStoreDll, .. launch.Args, "--logger", "capnslog"];
            using var process = new ChildProcess(command[0], command[1..]);
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(90)), process.Output);
            AssertOneLineError(server, process.ExitCode, process.Output, $"cannot access data directory: mkdir {dir}: permission denied");
        }
    }

    [Theory]
    [InlineData("peer")]
    [InlineData("client")]
    public void A_port_in_use(string which)
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        foreach (string server in new[] { "etcd", "kvstore" })
        {
            var launch = Launch.OnFreePorts(Path.Combine(_root, server + which));
            launch = which == "peer" ? launch with { PeerPort = port } : launch with { ClientPort = port };
            (int code, string output) = launch.RunToExit(server);
            AssertOneLineError(server, code, output, $"listen tcp 127.0.0.1:{port}: bind: address already in use");
        }
    }

    [Fact]
    public async Task A_damaged_database()
    {
        foreach (string server in new[] { "etcd", "kvstore" })
        {
            var launch = Launch.OnFreePorts(Path.Combine(_root, server));
            using (ChildProcess first = launch.Start(server))
            {
                Assert.True(await first.WaitForLineAsync(SingleMember.ReadyLine, TimeSpan.FromSeconds(90)), first.Output);
                Assert.Equal(0, Etcdctl.Run(launch.Endpoint, ["put", "k", "v"]).Exit);
                first.Signal(ChildProcess.SigTerm);
                Assert.True(first.WaitForExit(TimeSpan.FromSeconds(60)), first.Output);
            }
            // etcd's bbolt file cut short (both meta pages gone), kvstore's engine checkpoint metadata overwritten
            string damaged = server == "etcd"
                ? Path.Combine(launch.DataDir, "member", "snap", "db")
                : Directory.GetFiles(Path.Combine(launch.DataDir, "member", "engine", "checkpoints", "cpr-checkpoints"), "info.dat.0", SearchOption.AllDirectories).Single();
            using (var file = new FileStream(damaged, FileMode.Open, FileAccess.Write))
            {
                if (server == "etcd")
                {
                    file.SetLength(100);
                }
                else
                {
                    file.Position = 4;
                    file.Write(new byte[64].Select((_, i) => (byte)(0xA5 ^ i)).ToArray());
                }
            }
            (int code, string output) = launch.RunToExit(server);
            string where = server == "etcd" ? damaged : Path.Combine(launch.DataDir, "member", "engine");
            Assert.NotEqual(0, code);
            // etcd panics after its line (a Go stack trace follows); kvstore's line is its last
            Assert.Contains($"cannot open database at {where} (", output);
            if (server == "kvstore") AssertOneLineError(server, code, output, $"cannot open database at {where} (");
        }
    }

    [Fact]
    public void Json_logs_carry_the_same_error_in_one_object()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var launch = Launch.OnFreePorts(Path.Combine(_root, "json")) with { ClientPort = port };
        (int code, string output) = launch.RunToExit("kvstore", "--logger", "zap");
        Assert.Equal(1, code);
        string last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        var json = System.Text.Json.JsonDocument.Parse(last).RootElement;
        Assert.Equal("fatal", json.GetProperty("level").GetString());
        Assert.Equal($"listen tcp 127.0.0.1:{port}: bind: address already in use", json.GetProperty("error").GetString());
    }

    private void AssertBothFail(string error, string dataDir)
    {
        foreach (string server in new[] { "etcd", "kvstore" })
        {
            (int code, string output) = Launch.OnFreePorts(dataDir).RunToExit(server);
            AssertOneLineError(server, code, output, error);
        }
    }

    /// <summary>The process exited non-zero and its last line is the critical error (capnslog "C | pkg: error"), with no stack trace anywhere.</summary>
    private static void AssertOneLineError(string server, int code, string output, string error)
    {
        Assert.True(code != 0, $"{server} exited 0:\n{output}");
        string last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} C \| [a-z.]+: ", last);
        Assert.Contains(": " + error, last);
        Assert.DoesNotContain("\n   at ", output);
        Assert.DoesNotContain("Exception", output);
    }
}
