using System.Net.Sockets;

namespace KvStore.Operations.Tests;

/// <summary>
/// A second member started on a live member's data dir (with ports of its own) waits for the data dir's file lock,
/// as etcd waits for its backend's: after 10 s it says so in etcd's words, it binds no port and the live member
/// neither sees it nor changes; once the live member stops, it starts on the data dir and serves what was there.
/// </summary>
public sealed class DataDirLockTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("kvstore-ops-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task A_second_member_on_a_live_data_dir_waits_for_the_lock()
    {
        // Both servers side by side: each waits 10 s before its warning.
        await Task.WhenAll(Task.Run(() => SecondWaitsAsync("etcd")), Task.Run(() => SecondWaitsAsync("kvstore")));
    }

    private async Task SecondWaitsAsync(string server)
    {
        string dataDir = Path.Combine(_root, server);
        var live = Launch.OnFreePorts(dataDir);
        using ChildProcess first = live.Start(server);
        Assert.True(await first.WaitForLineAsync(SingleMember.ReadyLine, TimeSpan.FromSeconds(90)), first.Output);
        Assert.Equal(0, Etcdctl.Run(live.Endpoint, ["put", "before", "1"]).Exit);

        var intruder = Launch.OnFreePorts(dataDir);
        using ChildProcess second = intruder.Start(server);
        string lockedFile = server == "etcd" ? Path.Combine(dataDir, "member", "snap", "db") : Path.Combine(dataDir, "kvstore.lock");
        Assert.True(await second.WaitForLineAsync($"another etcd process is using \"{lockedFile}\" and holds the file lock", TimeSpan.FromSeconds(60)),
            $"{server}:\n{second.Output}");
        Assert.True(await second.WaitForLineAsync("waiting for it to exit before starting...", TimeSpan.FromSeconds(5)), second.Output);
        Assert.False(second.HasExited);
        if (server == "kvstore")
        {
            // kvstore takes the lock before it binds anything (etcd has bound its ports by then)
            Assert.False(Listening(intruder.ClientPort), "the waiting member listens for clients");
            Assert.False(Listening(intruder.PeerPort), "the waiting member listens for peers");
        }

        // The live member goes on as before, alone.
        Assert.Equal(0, Etcdctl.Run(live.Endpoint, ["put", "during", "2"]).Exit);
        var members = Etcdctl.Run(live.Endpoint, ["member", "list"]);
        Assert.Equal(0, members.Exit);
        Assert.Single(members.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain(intruder.PeerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), first.Output);

        first.Signal(ChildProcess.SigTerm);
        Assert.True(first.WaitForExit(TimeSpan.FromSeconds(60)), first.Output);
        Assert.True(await second.WaitForLineAsync(SingleMember.ReadyLine, TimeSpan.FromSeconds(90)), second.Output);
        var got = Etcdctl.Run(intruder.Endpoint, ["get", "", "--prefix", "--print-value-only"]);
        Assert.Equal(0, got.Exit);
        Assert.Equal("1\n2\n", got.Out); // before=1, during=2: what the first member held
    }

    private static bool Listening(int port)
    {
        using var client = new TcpClient();
        try
        {
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
