using System.Text.RegularExpressions;

namespace KvStore.Etcdctl.Tests;

/// <summary>endpoint, member, alarm, defrag, compaction and snapshot commands against etcd and kvstore, output compared.</summary>
public sealed partial class MaintenanceTests(PairFixture pair) : IClassFixture<PairFixture>
{
    [GeneratedRegex(@"took = [0-9.]+[mµn]?s|""took"":""[^""]*""")]
    private static partial Regex Took();

    [GeneratedRegex(@"(?m)^[0-9a-f]{1,16}(?=, started)|""hash"":\d+|""hash_revision"":\d+|""compact_revision"":\d+")]
    private static partial Regex MemberIdAndHash();

    [Fact]
    public async Task EndpointMemberAlarmAndDefragPrintTheSame()
    {
        await Compare.SameAsync(pair, "put", "mt/a", "1");
        await Compare.SameAsync(pair, _ => ["endpoint", "health"], hostPort: true, extra: s => Took().Replace(s, "took = T"));
        await Compare.SameAsync(pair, _ => ["endpoint", "health", "-w", "json"], hostPort: true, extra: s => Took().Replace(s, "took = T"));
        await Compare.SameAsync(pair, _ => ["endpoint", "status", "-w", "json"], hostPort: true);
        await Compare.SameAsync(pair, _ => ["endpoint", "hashkv", "-w", "json"], hostPort: true, extra: s => MemberIdAndHash().Replace(s, "H"));
        await Compare.SameAsync(pair, _ => ["member", "list"], extra: s => MemberIdAndHash().Replace(s, "ID"));
        await Compare.SameAsync(pair, "member", "list", "-w", "json");
        await Compare.SameAsync(pair, "alarm", "list");
        await Compare.SameAsync(pair, "alarm", "disarm");
        await Compare.SameAsync(pair, _ => ["defrag"], hostPort: true);
        await Compare.SameAsync(pair, "get", "mt/", "--prefix");
    }

    [Fact]
    public async Task CompactionPrintsTheSame()
    {
        await Compare.SameAsync(pair, "put", "cp/a", "1");
        await Compare.SameAsync(pair, "put", "cp/a", "2");
        await Compare.SameAsync(pair, "put", "cp/a", "3");
        foreach (var s in new[] { pair.Etcd, pair.Kv })
        {
            var rev = await Compare.RevisionAsync(s);
            s.Vars["crev"] = (rev - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            s.Vars["old"] = (rev - 2).ToString(System.Globalization.CultureInfo.InvariantCulture);
            s.Vars["future"] = (rev + 100).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        await Compare.SameAsync(pair, s => ["compaction", s.Vars["crev"], "--physical"]);
        await Compare.SameAsync(pair, s => ["get", "cp/a", "--rev", s.Vars["old"]]);
        await Compare.SameAsync(pair, s => ["get", "cp/a", "--rev", s.Vars["crev"]]);
        await Compare.SameAsync(pair, s => ["compaction", s.Vars["old"]]);
        await Compare.SameAsync(pair, s => ["compaction", s.Vars["future"]]);
        await Compare.SameAsync(pair, s => ["watch", "cp/a", "--rev", s.Vars["old"]]);
        await Compare.SameAsync(pair, "get", "cp/a");
    }

    [Fact]
    public async Task SnapshotSaveWritesAFile()
    {
        await Compare.SameAsync(pair, "put", "sn/a", "1");
        var results = new List<Ctl.Result>();
        foreach (var s in new[] { pair.Etcd, pair.Kv })
        {
            var file = Path.Combine(s.Scratch, "snap.db");
            var r = await Ctl.RunAsync(s.Url, "snapshot", "save", file);
            Assert.True(r.Exit == 0, $"{s}: {r}");
            Assert.Contains("Snapshot saved at " + file, r.Out, StringComparison.Ordinal);
            Assert.True(new FileInfo(file).Length > 0, $"{s}: empty snapshot");
            results.Add(await Ctl.RunAsync(s.Url, "snapshot", "status", file, "-w", "json"));
        }
        // etcdctl's snapshot status reads a bbolt file: both are etcd 3.4 backends (more in SnapshotBoltTests).
        Assert.True(results[0].Exit == 0, "etcd: " + results[0]);
        Assert.True(results[1].Exit == 0, "kvstore: " + results[1]);
        Assert.Matches("\"totalKey\":\\d+", results[0].Out);
        Assert.Matches("\"totalKey\":\\d+", results[1].Out);
    }
}
