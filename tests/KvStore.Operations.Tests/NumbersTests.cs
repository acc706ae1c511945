using System.Globalization;
using System.Text.Json.Nodes;

namespace KvStore.Operations.Tests;

/// <summary>
/// Numbers operators read: the db size is the member's files on disk (from the first moment, in the JSON gateway
/// too), etcd_debugging_mvcc_keys_total counts the keys there are (as etcd's does for the same writes), and
/// kvstore --help names its subcommands, each of which has its own --help.
/// </summary>
public sealed class NumbersTests
{
    [Fact]
    public async Task Db_size_is_the_members_files_on_disk()
    {
        using SingleMember member = SingleMember.StartKvStore(tmpfs: true);
        using var http = new HttpClient();
        // a member nothing was written to: the gateway has the field (etcd's always has its bolt file's size)
        var status = JsonNode.Parse(await (await http.PostAsync(member.ClientUrl + "/v3/maintenance/status", new StringContent("{}"))).Content.ReadAsStringAsync())!;
        long fresh = long.Parse(status["dbSize"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        AssertNear(OnDisk(member.DataDir), fresh);

        // 200 puts of 2000 bytes: counted at once, whether the engine has flushed them to its files yet or not
        for (int i = 0; i < 200; i++) Assert.Equal(0, Etcdctl.Run(member.Endpoint, ["put", "k" + (i % 20), new string('v', 2000)]).Exit);
        await Task.Delay(1100); // the files are listed at most once a second
        var table = JsonNode.Parse(Etcdctl.Run(member.Endpoint, ["endpoint", "status", "-w", "json"]).Out)!;
        long written = table[0]!["Status"]!["dbSize"]!.GetValue<long>();
        long onDisk = OnDisk(member.DataDir);
        Assert.True(written > fresh + 200 * 2000, $"{fresh} -> {written}");
        Assert.True(onDisk <= written && written - onDisk <= 2 * 200 * 2000, $"on disk {onDisk}, reported {written}");
    }

    [Fact]
    public void Keys_total_counts_the_keys_as_etcd_does()
    {
        string etcd, kvstore;
        using (SingleMember member = SingleMember.StartEtcd(tmpfs: true)) etcd = KeysAfterWrites(member);
        using (SingleMember member = SingleMember.StartKvStore(tmpfs: true)) kvstore = KeysAfterWrites(member);
        Assert.Equal("100", etcd);
        Assert.Equal(etcd, kvstore);
    }

    [Fact]
    public void Help_names_the_subcommands_and_each_has_its_own()
    {
        var root = Kvstore("--help");
        Assert.Equal(0, root.Code);
        Assert.Matches(@"(?m)^\s+snapshot\s", root.Out);
        Assert.Matches(@"(?m)^\s+apiserver\s", root.Out);
        var api = Kvstore("apiserver", "--help");
        Assert.Equal(0, api.Code);
        Assert.Contains("kvstore apiserver [options]", api.Out);
        Assert.Contains("--etcd-servers", api.Out);
        foreach (string sub in new[] { "restore", "status" })
        {
            var snapshot = Kvstore("snapshot", sub, "--help");
            Assert.Equal(0, snapshot.Code);
            Assert.Contains($"kvstore snapshot {sub} <filename>", snapshot.Out);
        }
    }

    /// <summary>135 keys written three times each, 35 deleted, a compaction: etcd's gauge ends at 100.</summary>
    private static string KeysAfterWrites(SingleMember member)
    {
        var script = new System.Text.StringBuilder();
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 135; i++) script.Append(CultureInfo.InvariantCulture, $"put key{i} v{round}\n");
        }
        // etcdctl txn applies a batch of puts in one request; 128 ops per txn at most (--max-txn-ops)
        foreach (string[] chunk in script.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Chunk(100))
        {
            var r = Etcdctl.Run(member.Endpoint, ["txn"], "\n" + string.Join('\n', chunk) + "\n\n\n");
            Assert.True(r.Exit == 0, r.Err);
        }
        for (int i = 100; i < 135; i++) Assert.Equal(0, Etcdctl.Run(member.Endpoint, ["del", "key" + i]).Exit);
        Assert.Equal(0, Etcdctl.Run(member.Endpoint, ["compact", "3"]).Exit);
        using var http = new HttpClient();
        string metrics = http.GetStringAsync(member.ClientUrl + "/metrics").GetAwaiter().GetResult();
        return metrics.Split('\n').Single(l => l.StartsWith("etcd_debugging_mvcc_keys_total ", StringComparison.Ordinal)).Split(' ')[1];
    }

    /// <summary>Bytes of the files under member/ but the WAL (what etcd's member/snap/db would be).</summary>
    private static long OnDisk(string dataDir) =>
        Directory.GetFiles(Path.Combine(dataDir, "member"), "*", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(Path.Combine(dataDir, "member", "wal") + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Sum(f => new FileInfo(f).Length);

    /// <summary>The reported size and a listing taken a moment apart agree to within a few pages (a background checkpoint may land between).</summary>
    private static void AssertNear(long onDisk, long reported) =>
        Assert.True(Math.Abs(onDisk - reported) <= 64 * 1024 && reported > 16 << 20, $"on disk {onDisk}, reported {reported}");

    private static (int Code, string Out, string Err) Kvstore(params string[] args) =>
        ChildProcess.Run(Binaries.DotnetHost(), [Binaries.KvStoreDll, .. args]);
}
