using System.Text.Json;
using System.Text.RegularExpressions;

namespace KvStore.Etcdctl.Tests;

/// <summary>
/// <c>etcdctl snapshot save</c> against kvstore gives an etcd 3.4 backend: the real etcdctl's snapshot status reads
/// it (the same revision and key count as etcd's own snapshot of the same history), and its snapshot restore gives
/// a data dir on which a real etcd 3.4 starts and serves the same keys, history, compaction, leases and auth.
/// </summary>
public sealed partial class SnapshotBoltTests(PairFixture pair) : IClassFixture<PairFixture>
{
    private const string Root = "root:rootpw";

    [GeneratedRegex(@"lease ([0-9a-f]+) granted")]
    private static partial Regex LeaseGranted();

    private static async Task<Ctl.Result> Ok(string url, params string[] args)
    {
        var r = await Ctl.RunAsync(url, args);
        Assert.True(r.Exit == 0, $"etcdctl {string.Join(' ', args)}: {r}");
        return r;
    }

    [Fact]
    public async Task KvStoreSnapshot_StatusMatchesEtcds_AndRestoresIntoARealEtcd()
    {
        string big = new('x', 9000); // more than a page: an overflow page in the key bucket
        var leases = new Dictionary<ServerProcess, string>();
        foreach (ServerProcess s in new[] { pair.Etcd, pair.Kv })
        {
            string u = s.Url;
            await Ok(u, "put", "sb/a", "1");
            await Ok(u, "put", "sb/b", "2");
            await Ok(u, "put", "sb/a", "3");
            await Ok(u, "del", "sb/b");
            await Ok(u, "put", "sb/c", "4");
            await Ok(u, "compaction", "4");
            await Ok(u, "put", "sb/a", "5");
            await Ok(u, "put", "sb/big", big);
            var txn = await Ctl.RunAsync(u, ["txn"], "\nput sb/t1 one\nput sb/t2 two\ndel sb/c\n\n\n"); // one revision, sub-revisions 0..2
            Assert.True(txn.Exit == 0 && txn.Out.StartsWith("SUCCESS", StringComparison.Ordinal), $"{s}: txn: {txn}");
            var grant = await Ok(u, "lease", "grant", "600");
            leases[s] = LeaseGranted().Match(grant.Out).Groups[1].Value;
            await Ok(u, "put", "sb/l", "leased", "--lease", leases[s]);
            await Ok(u, "role", "add", "r1");
            await Ok(u, "role", "grant-permission", "r1", "readwrite", "sb/", "--prefix");
            await Ok(u, "user", "add", Root);
            await Ok(u, "user", "grant-role", "root", "root");
            await Ok(u, "user", "add", "u1:pw1");
            await Ok(u, "user", "grant-role", "u1", "r1");
            await Ok(u, "auth", "enable");
        }

        var status = new Dictionary<ServerProcess, JsonElement>();
        foreach (ServerProcess s in new[] { pair.Etcd, pair.Kv })
        {
            string file = Path.Combine(s.Scratch, "bolt.db");
            await Ok(s.Url, "--user", Root, "snapshot", "save", file);
            Assert.Equal(32, new FileInfo(file).Length % 4096); // whole bolt pages, then the SHA-256
            var r = await Ok(s.Url, "snapshot", "status", file, "-w", "json");
            status[s] = JsonDocument.Parse(r.Out).RootElement.Clone();
        }
        // Same history -> same revision and the same number of entries over every bucket (key history, meta,
        // lease, auth, authUsers, authRoles, members, cluster). The hash differs: member ids, consistent index.
        Assert.Equal(status[pair.Etcd].GetProperty("revision").GetInt64(), status[pair.Kv].GetProperty("revision").GetInt64());
        Assert.Equal(status[pair.Etcd].GetProperty("totalKey").GetInt64(), status[pair.Kv].GetProperty("totalKey").GetInt64());
        Assert.True(status[pair.Kv].GetProperty("totalSize").GetInt64() > 9000);

        await using var restored = await RestoredEtcd.StartAsync(Path.Combine(pair.Kv.Scratch, "bolt.db"), pair.Kv.Scratch);
        string kv = pair.Kv.Url, etcd = restored.Url;

        // Keys, values, create/mod revisions, versions, leases and the current revision.
        await SameJson(kv, etcd, "--user", Root, "get", "", "--prefix", "-w", "json");
        // History kept since the compaction, and the compaction itself.
        await SameJson(kv, etcd, "--user", Root, "get", "sb/", "--prefix", "--rev", "5", "-w", "json");
        await SameJson(kv, etcd, "--user", Root, "get", "sb/", "--prefix", "--rev", "4", "-w", "json");
        await SameOutput(kv, etcd, "--user", Root, "get", "sb/a", "--rev", "3");
        await SameOutput(kv, etcd, "--user", Root, "watch", "sb/a", "--rev", "2");
        // Leases: the same id and granted TTL.
        await SameOutput(kv, etcd, "--user", Root, "lease", "list");
        var ttl = await Ok(etcd, "--user", Root, "lease", "timetolive", leases[pair.Kv], "--keys");
        Assert.Contains($"lease {leases[pair.Kv]} granted with TTL(600s)", ttl.Out, StringComparison.Ordinal);
        Assert.Contains("attached keys([sb/l])", ttl.Out, StringComparison.Ordinal);
        // Auth: users, roles, permissions, enabled, the bcrypt passwords.
        await SameOutput(kv, etcd, "--user", Root, "user", "list");
        await SameOutput(kv, etcd, "--user", Root, "role", "list");
        await SameOutput(kv, etcd, "--user", Root, "user", "get", "u1");
        await SameOutput(kv, etcd, "--user", Root, "role", "get", "r1");
        await SameOutput(kv, etcd, "get", "sb/a");
        await SameOutput(kv, etcd, "--user", "u1:pw1", "get", "sb/a");
        await SameOutput(kv, etcd, "--user", "u1:wrong", "get", "sb/a");
        await SameOutput(kv, etcd, "--user", "u1:pw1", "put", "other", "x");
    }

    private static async Task SameJson(string kv, string etcd, params string[] args)
    {
        var a = await Ok(kv, args);
        var b = await Ok(etcd, args);
        var ja = JsonDocument.Parse(a.Out).RootElement;
        var jb = JsonDocument.Parse(b.Out).RootElement;
        Assert.Equal(ja.GetProperty("header").GetProperty("revision").GetInt64(), jb.GetProperty("header").GetProperty("revision").GetInt64());
        string kvs(JsonElement e) => e.TryGetProperty("kvs", out var k) ? k.GetRawText() : "[]";
        Assert.Equal(kvs(ja), kvs(jb));
        Assert.Equal(ja.TryGetProperty("count", out var ca) ? ca.GetInt64() : 0, jb.TryGetProperty("count", out var cb) ? cb.GetInt64() : 0);
    }

    private static async Task SameOutput(string kv, string etcd, params string[] args)
    {
        var a = await Ctl.RunAsync(kv, args, null, seconds: 5);
        var b = await Ctl.RunAsync(etcd, args, null, seconds: 5);
        string norm(Ctl.Result r, string url) => $"exit {r.Exit}\n{r.Out}\n{Regex.Replace(r.Err.Replace(url, "URL", StringComparison.Ordinal), @"(?m)^\{""level"".*$|^\d{4}[-/]\d\d[-/]\d\d[ T][\d:.]+Z?\s*|endpoint://client-[0-9a-f-]+/", "")}";
        Assert.Equal(norm(b, etcd), norm(a, kv));
    }
}

/// <summary>
/// A real etcd 3.4 started on the data dir <c>etcdctl snapshot restore</c> made from a snapshot file, on free
/// loopback ports; killed on dispose.
/// </summary>
public sealed class RestoredEtcd : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private RestoredEtcd(ChildProcess process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }

    public static async Task<RestoredEtcd> StartAsync(string snapshot, string scratch)
    {
        string dataDir = Path.Combine(scratch, "restored-" + Guid.NewGuid().ToString("N")[..8]);
        string client = $"http://127.0.0.1:{Ports.Free()}", peer = $"http://127.0.0.1:{Ports.Free()}";
        var restore = await Ctl.RunAsync(client, "snapshot", "restore", snapshot, "--data-dir", dataDir, "--name", "restored",
            "--initial-cluster", "restored=" + peer, "--initial-advertise-peer-urls", peer);
        Assert.True(restore.Exit == 0, "snapshot restore: " + restore);
        var process = new ChildProcess("etcd", ["--name", "restored", "--data-dir", dataDir, "--listen-client-urls", client,
            "--advertise-client-urls", client, "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "restored=" + peer], workingDirectory: scratch);
        if (!await process.WaitForLineAsync(ServerProcess.ReadyLine, TimeSpan.FromSeconds(60)))
        {
            process.Dispose();
            throw new InvalidOperationException("the restored etcd did not get ready:\n" + process.Output);
        }
        return new RestoredEtcd(process, client);
    }

    public ValueTask DisposeAsync()
    {
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
