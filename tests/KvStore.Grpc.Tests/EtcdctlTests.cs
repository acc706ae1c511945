using System.Diagnostics;
using KvStore.Server;

namespace KvStore.Grpc.Tests;

/// <summary>etcdctl 3.4 (the real Go client) against the services; the test fails when etcdctl is not installed.</summary>
public sealed class EtcdctlTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private readonly GrpcHost _h = fixture.Host;

    private Task<(int Exit, string Out, string Err)> EtcdctlAsync(params string[] args) => RunAsync(_h.Address, args);

    private static Task<(int Exit, string Out, string Err)> RunAsync(string endpoint, params string[] args) => Etcdctl.RunAsync(endpoint, args);

    [Fact]
    public async Task PutGetDel()
    {
        Assert.Equal((0, "OK\n", ""), await EtcdctlAsync("put", "ctl/pgd/a", "1"));
        Assert.Equal((0, "ctl/pgd/a\n1\n", ""), await EtcdctlAsync("get", "ctl/pgd/", "--prefix"));
        Assert.Equal((0, "1\n", ""), await EtcdctlAsync("del", "ctl/pgd/a"));
    }

    [Fact]
    public async Task ErrorsPrintEtcdsMessage()
    {
        var (exit, _, err) = await EtcdctlAsync("get", "ctl/x", "--rev=1000000");
        Assert.NotEqual(0, exit);
        Assert.Contains("etcdserver: mvcc: required revision is a future revision", err);
    }

    [Fact]
    public async Task SnapshotSave_Succeeds()
    {
        await _h.PutAsync("ctl/snap", "1");
        string path = Path.Combine(_h.Config.DataDir, "ctl.snapshot");
        var (exit, output, err) = await EtcdctlAsync("snapshot", "save", path);
        Assert.True(exit == 0, err);
        Assert.Equal($"Snapshot saved at {path}\n", output);
        Assert.Equal(32, new FileInfo(path).Length % 512);
    }

    [Fact]
    public async Task EndpointStatusAndMemberList()
    {
        // etcdctl dials "endpoint status" (and hashkv, defrag, move-leader) as passthrough:///<endpoint>, so with
        // an http:// endpoint its :authority is "http://127.0.0.1:port", which Kestrel refuses as an invalid Host
        // (RST_STREAM PROTOCOL_ERROR). Without the scheme the authority is host:port.
        string hostPort = new Uri(_h.Address).Authority;
        var (exit, output, err) = await RunAsync(hostPort, "endpoint", "status");
        Assert.True(exit == 0, err);
        Assert.Contains(EtcdVersion.Server, output);
        Assert.Contains(_h.Server.MemberId.ToString("x"), output);
        (exit, output, err) = await EtcdctlAsync("member", "list");
        Assert.True(exit == 0, err);
        Assert.StartsWith($"{_h.Server.MemberId:x}, started, default, ", output);
    }

    [Fact]
    public async Task LeaseGrantKeepAliveOnceAndTimeToLive()
    {
        var (exit, output, err) = await EtcdctlAsync("lease", "grant", "100");
        Assert.True(exit == 0, err);
        string id = output.Split(' ')[1]; // "lease 694d77aa9e38260f granted with TTL(100s)"
        Assert.Equal($"lease {id} granted with TTL(100s)\n", output);
        (exit, output, err) = await EtcdctlAsync("lease", "keep-alive", "--once", id);
        Assert.True(exit == 0, err);
        Assert.Equal($"lease {id} keepalived with TTL(100)\n", output);
        (exit, output, _) = await EtcdctlAsync("lease", "timetolive", "0abc");
        Assert.Equal(0, exit);
        Assert.Equal("lease 0000000000000abc already expired\n", output);
    }

    [Fact]
    public async Task Watch_PrintsEvents()
    {
        // etcdctl watch calls with "hasleader: true" (clientv3.WithRequireLeader).
        var psi = new ProcessStartInfo("etcdctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["ETCDCTL_API"] = "3";
        foreach (string a in new[] { "--endpoints=" + _h.Address, "watch", "ctl/w/", "--prefix", "--prev-kv" }) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        try
        {
            await Task.Delay(500); // let it open its stream
            await _h.PutAsync("ctl/w/a", "1");
            await _h.PutAsync("ctl/w/a", "2");
            var lines = new List<string>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            while (lines.Count < 7) lines.Add(await p.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException());
            Assert.Equal(["PUT", "ctl/w/a", "1", "PUT", "ctl/w/a", "1", "ctl/w/a"], lines);
        }
        finally
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task CompactionPhysical()
    {
        long rev = await _h.PutAsync("ctl/compact", "1");
        var (exit, output, err) = await EtcdctlAsync("compaction", "--physical", rev.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(exit == 0, err);
        Assert.Equal($"compacted revision {rev}\n", output);
    }
}
