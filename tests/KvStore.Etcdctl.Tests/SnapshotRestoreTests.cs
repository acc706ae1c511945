using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace KvStore.Etcdctl.Tests;

/// <summary>
/// Migration from etcd: a real etcd 3.4 started here, filled, snapshotted with etcdctl; then `etcdctl snapshot
/// status` vs `kvstore snapshot status` on the same file, and `etcdctl snapshot restore` + etcd vs `kvstore snapshot
/// restore` + kvstore started on the same flags: the same keys, values, revisions, versions, compaction, leases,
/// users, roles, auth enabled and cluster id.
/// </summary>
public sealed partial class SnapshotRestoreTests
{
    private const string Root = "root:rootpw";

    // etcdctl authenticates within its dial timeout (2 s by default); the first authentication on a member just
    // started (bcrypt, and kvstore JIT-compiles every method fully on first use) took longer than that on this
    // shared 2-core machine now and then, for reasons unrelated to the restore.
    private const string Dial = "--dial-timeout=15s";

    /// <summary>From etcd (the migration) and from kvstore (its own snapshot save writes the same bbolt backend).</summary>
    [Theory]
    [InlineData("etcd")]
    [InlineData("kvstore")]
    public async Task Snapshot_RestoredIntoKvStore_ServesWhatRestoredEtcdServes(string source)
    {
        using var scratch = new Scratch();
        string snapshot = Path.Combine(scratch.Dir, source + ".db");
        long leaseId;
        using (var origin = source == "etcd" ? ServerProcess.StartEtcd() : ServerProcess.StartKvStore())
        {
            string ep = origin.Url;
            for (int i = 0; i < 20; i++) await Ok(ep, "put", $"k{i:D2}", $"v{i}");
            await Ok(ep, "put", "k05", "again");
            await Ok(ep, "put", "k05", "third");
            await Ok(ep, "del", "k07");
            await Ok(ep, "del", "k1", "--prefix");
            await Ok(ep, "put", "k07", "back");
            string grant = (await Ok(ep, "lease", "grant", "600")).Out;
            leaseId = Convert.ToInt64(LeaseId().Match(grant).Groups[1].Value, 16);
            await Ok(ep, "put", "leased", "lv", "--lease=" + leaseId.ToString("x"));
            await Ok(ep, "compaction", "24");
            await Ok(ep, "put", "after", "compaction");
            await Ok(ep, "user", "add", Root);
            await Ok(ep, "user", "add", "bob:bobpw");
            await Ok(ep, "role", "add", "reader");
            await Ok(ep, "role", "grant-permission", "reader", "read", "k0", "k1");
            await Ok(ep, "user", "grant-role", "bob", "reader");
            await Ok(ep, "auth", "enable");
            await Ok(ep, Dial, "--user", Root, "snapshot", "save", snapshot);
        }

        // Status: the same lines from both tools, in every format.
        foreach (string format in new[] { "simple", "table", "json", "fields" })
        {
            var theirs = await EtcdctlLocal("snapshot", "status", snapshot, "-w", format);
            var ours = await KvStoreCommand("snapshot", "status", snapshot, "-w", format);
            Assert.Equal(0, theirs.Exit);
            Assert.Equal((theirs.Exit, theirs.Out), (ours.Exit, ours.Out));
        }

        int clientPort = Ports.Free(), peerPort = Ports.Free();
        string peer = $"http://127.0.0.1:{peerPort}";
        string[] restoreFlags = ["--name", "m1", "--initial-cluster", "m1=" + peer, "--initial-cluster-token", "migrated", "--initial-advertise-peer-urls", peer];

        string etcdDir = Path.Combine(scratch.Dir, "etcd-restored");
        Assert.Equal(0, (await EtcdctlLocal(["snapshot", "restore", snapshot, "--data-dir", etcdDir, .. restoreFlags])).Exit);
        Observed fromEtcd;
        using (var member = Member.Start("etcd", etcdDir, clientPort, peerPort))
        {
            fromEtcd = await WithOutput(member, () => ObserveAsync(member.Url, leaseId));
        }

        string kvDir = Path.Combine(scratch.Dir, "kvstore-restored");
        var restore = await KvStoreCommand(["snapshot", "restore", snapshot, "--data-dir", kvDir, .. restoreFlags]);
        Assert.True(restore.Exit == 0, restore.ToString());
        Observed fromKv;
        string afterPut;
        using (var member = Member.Start("kvstore", kvDir, clientPort, peerPort))
        {
            fromKv = await WithOutput(member, () => ObserveAsync(member.Url, leaseId));
            afterPut = (await WithOutput(member, () => Ok(member.Url, Dial, "--user", Root, "get", "", "--prefix", "-w", "json"))).Out;
        }
        // The restored member restarts on its own data dir (its new Raft log, the record of its new cluster).
        using (var member = Member.Start("kvstore", kvDir, clientPort, peerPort))
        {
            var again = await Ctl.RunAsync(member.Url, Dial, "--user", Root, "get", "", "--prefix", "-w", "json");
            Assert.True(again.Exit == 0, $"after restart: {again}\n{member.Output}");
            Assert.Equal(KvsAndRevision(afterPut), KvsAndRevision(again.Out));
        }

        Assert.Equal(fromEtcd.Kvs, fromKv.Kvs);
        Assert.Equal(fromEtcd.Revision, fromKv.Revision);
        Assert.Equal(fromEtcd.ClusterId, fromKv.ClusterId);
        Assert.Equal(fromEtcd.Compacted, fromKv.Compacted);
        Assert.Equal(fromEtcd.AtOldRevision, fromKv.AtOldRevision);
        Assert.Equal(fromEtcd.Users, fromKv.Users);
        Assert.Equal(fromEtcd.Role, fromKv.Role);
        Assert.Equal(fromEtcd.AuthStatus, fromKv.AuthStatus);
        Assert.Equal(fromEtcd.BobDenied, fromKv.BobDenied);
        Assert.Equal(fromEtcd.Lease, fromKv.Lease);
        Assert.Equal(fromEtcd.PutRevision, fromKv.PutRevision);
        Assert.Equal(fromEtcd.Revision + 1, fromKv.PutRevision);
        Assert.Contains("permission denied", fromKv.BobDenied, StringComparison.Ordinal);
        Assert.Contains("user name is empty", fromKv.AuthStatus, StringComparison.Ordinal); // auth is enabled
        Assert.Contains("granted with TTL(600s)", fromKv.Lease, StringComparison.Ordinal);
        Assert.True(fromKv.Remaining is > 540 and <= 600, $"remaining TTL {fromKv.Remaining}: a restored lease restarts its TTL");
        Assert.True(fromKv.Kvs.Length > 100 && fromKv.Revision > 20, fromKv.Kvs);
    }

    [Fact]
    public async Task LargeEtcdSnapshot_OverflowPagesAndBranchLevels_StatusAndRestoreMatch()
    {
        using var scratch = new Scratch();
        string snapshot = Path.Combine(scratch.Dir, "big.db");
        string expectedKvs;
        long expectedRevision;
        using (var etcd = ServerProcess.StartEtcd())
        {
            // 1200 values of 6000 bytes (each on its own overflow pages: more leaves than one branch page holds, so
            // two levels of branch pages) and 3000 small keys, in txns of 100 puts.
            var txn = new StringBuilder();
            string big = new('x', 6000);
            int n = 0;
            for (int i = 0; i < 4200; i++)
            {
                txn.Append(i < 1200 ? $"put big/{i:D5} {big}{i}\n" : $"put small/{i:D5} s{i}\n");
                if (++n == 100 || i == 4199)
                {
                    await Ok(etcd.Url, ["txn"], "\n" + txn + "\n\n");
                    txn.Clear();
                    n = 0;
                }
            }
            await Ok(etcd.Url, "snapshot", "save", snapshot);
            var get = await Ok(etcd.Url, "get", "", "--prefix", "-w", "json");
            (expectedKvs, expectedRevision) = KvsAndRevision(get.Out);
        }

        var theirs = await EtcdctlLocal("snapshot", "status", snapshot, "-w", "json");
        var ours = await KvStoreCommand("snapshot", "status", snapshot, "-w", "json");
        Assert.Equal(0, theirs.Exit);
        Assert.Equal(theirs.Out, ours.Out);
        Assert.True(new FileInfo(snapshot).Length > 4096 * 1500, "expected a big file");

        string kvDir = Path.Combine(scratch.Dir, "kv");
        int clientPort = Ports.Free(), peerPort = Ports.Free();
        string peer = $"http://127.0.0.1:{peerPort}";
        var restore = await KvStoreCommand("snapshot", "restore", snapshot, "--data-dir", kvDir, "--initial-cluster", "default=" + peer, "--initial-advertise-peer-urls", peer);
        Assert.True(restore.Exit == 0, restore.ToString());
        using var member = Member.Start("kvstore", kvDir, clientPort, peerPort, "default");
        var restored = await Ok(member.Url, "get", "", "--prefix", "-w", "json");
        (string kvs, long revision) = KvsAndRevision(restored.Out);
        Assert.Equal(expectedRevision, revision);
        Assert.Equal(expectedKvs, kvs);
    }

    [Fact]
    public async Task EtcdSnapshot_RestoredOnThreeMembers_FormsTheNewClusterWithTheSameData()
    {
        using var scratch = new Scratch();
        string snapshot = Path.Combine(scratch.Dir, "etcd.db");
        string expected;
        using (var etcd = ServerProcess.StartEtcd())
        {
            for (int i = 0; i < 10; i++) await Ok(etcd.Url, "put", $"key{i}", $"value{i}");
            await Ok(etcd.Url, "del", "key3");
            await Ok(etcd.Url, "snapshot", "save", snapshot);
            expected = (await Ok(etcd.Url, "get", "", "--prefix", "-w", "json")).Out;
        }

        // etcd's recipe: the same snapshot restored on every member with the same --initial-cluster and token.
        int[] clientPorts = [.. Enumerable.Range(0, 3).Select(_ => Ports.Free())];
        int[] peerPorts = [.. Enumerable.Range(0, 3).Select(_ => Ports.Free())];
        string cluster = string.Join(",", Enumerable.Range(0, 3).Select(i => $"n{i}=http://127.0.0.1:{peerPorts[i]}"));
        var members = new List<Member>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                string dir = Path.Combine(scratch.Dir, $"n{i}");
                var r = await KvStoreCommand("snapshot", "restore", snapshot, "--data-dir", dir, "--name", $"n{i}",
                    "--initial-cluster", cluster, "--initial-cluster-token", "three", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peerPorts[i]}");
                Assert.True(r.Exit == 0, r.ToString());
            }
            for (int i = 0; i < 3; i++) members.Add(Member.Launch("kvstore", Path.Combine(scratch.Dir, $"n{i}"), clientPorts[i], peerPorts[i], $"n{i}", cluster));
            foreach (Member m in members) m.WaitReady();

            string? clusterId = null;
            foreach (Member m in members)
            {
                var got = await Ok(m.Url, "get", "", "--prefix", "-w", "json");
                Assert.Equal(KvsAndRevision(expected), KvsAndRevision(got.Out));
                using var doc = JsonDocument.Parse(got.Out);
                string id = doc.RootElement.GetProperty("header").GetProperty("cluster_id").GetRawText();
                Assert.True(clusterId is null || clusterId == id, "one cluster id");
                clusterId = id;
            }
            var list = await Ok(members[0].Url, "member", "list");
            for (int i = 0; i < 3; i++) Assert.Contains($"n{i}, http://127.0.0.1:{peerPorts[i]}", list.Out, StringComparison.Ordinal);

            // A write on one member is served by the others (one Raft group).
            await Ok(members[1].Url, "put", "after", "restore");
            foreach (Member m in members)
            {
                Assert.Equal("restore\n", (await Ok(m.Url, "get", "after", "--print-value-only")).Out);
            }
        }
        finally
        {
            foreach (Member m in members) m.Dispose();
        }
    }

    [Fact]
    public async Task RestoreErrors_AreEtcdctls()
    {
        using var scratch = new Scratch();
        string snapshot = Path.Combine(scratch.Dir, "s.db");
        using (var etcd = ServerProcess.StartEtcd())
        {
            await Ok(etcd.Url, "put", "a", "1");
            await Ok(etcd.Url, "snapshot", "save", snapshot);
        }
        byte[] bytes = await File.ReadAllBytesAsync(snapshot);
        string noHash = Path.Combine(scratch.Dir, "nohash.db");
        await File.WriteAllBytesAsync(noHash, bytes[..^32]);
        string damaged = Path.Combine(scratch.Dir, "damaged.db");
        bytes[5000] ^= 0xff;
        await File.WriteAllBytesAsync(damaged, bytes);
        string existing = Path.Combine(scratch.Dir, "existing");
        Directory.CreateDirectory(existing);

        Func<string, string[]>[] cases =
        [
            t => ["snapshot", "restore", damaged, "--data-dir", Path.Combine(scratch.Dir, t + "x1")],
            t => ["snapshot", "restore", noHash, "--data-dir", Path.Combine(scratch.Dir, t + "x2")],
            t => ["snapshot", "restore", snapshot, "--data-dir", existing],
            t => ["snapshot", "restore", snapshot, "--data-dir", Path.Combine(scratch.Dir, t + "x3"), "--wal-dir", existing],
            t => ["snapshot", "restore", Path.Combine(scratch.Dir, "missing.db"), "--data-dir", Path.Combine(scratch.Dir, t + "x4")],
            t => ["snapshot", "restore", snapshot, "--data-dir", Path.Combine(scratch.Dir, t + "x5"), "--name", "other"],
            t => ["snapshot", "restore", snapshot, "--data-dir", Path.Combine(scratch.Dir, t + "x6"), "--initial-advertise-peer-urls", "http://127.0.0.1:1"],
            t => ["snapshot", "restore", snapshot, "--data-dir", Path.Combine(scratch.Dir, t + "x7"), "--initial-advertise-peer-urls", "127.0.0.1:1"],
            t => ["snapshot", "restore"],
            t => ["snapshot", "status", Path.Combine(scratch.Dir, "missing.db")],
            t => ["snapshot", "status", damaged, "-w", "protobuf"],
            t => ["snapshot", "status", damaged, "-w", "yaml"],
            t => ["snapshot", "status", Path.Combine(existing, "..", "existing")],
            t => ["snapshot", "restore", existing, "--data-dir", Path.Combine(scratch.Dir, t + "x8")],
        ];
        foreach (Func<string, string[]> args in cases)
        {
            // Separate data dirs: etcdctl leaves a half-made one behind when it fails after creating it.
            var theirs = await EtcdctlLocal(args("etcd-"));
            var ours = await KvStoreCommand(args("kv-"));
            Assert.NotEqual(0, theirs.Exit);
            Assert.Equal((theirs.Exit, ErrorLine(theirs.Err)), (ours.Exit, ErrorLine(ours.Err)));
        }
        Assert.Contains("expected sha256 [", ErrorLine((await KvStoreCommand(cases[0]("kv2-"))).Err), StringComparison.Ordinal);

        // --skip-hash-check takes a file without its hash (a member's member/snap/db copied out).
        var skipped = await KvStoreCommand("snapshot", "restore", noHash, "--data-dir", Path.Combine(scratch.Dir, "ok"), "--skip-hash-check");
        Assert.True(skipped.Exit == 0, skipped.ToString());
        Assert.True(File.Exists(Path.Combine(scratch.Dir, "ok", "member", "members.pb")));
    }

    /// <summary>A failure against a member comes with what the member logged.</summary>
    private static async Task<T> WithOutput<T>(Member member, Func<Task<T>> body)
    {
        try
        {
            return await body();
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new InvalidOperationException($"{e.Message}\n--- member output:\n{member.Tail}", e);
        }
    }

    private static string ErrorLine(string stderr) =>
        stderr.Split('\n').FirstOrDefault(l => l.StartsWith("Error:", StringComparison.Ordinal)) ?? "(no error line) " + stderr;

    private sealed record Observed(
        string Kvs, long Revision, string ClusterId, string Compacted, string AtOldRevision, string Users, string Role,
        string AuthStatus, string BobDenied, string Lease, int Remaining, long PutRevision);

    private static async Task<Observed> ObserveAsync(string ep, long leaseId)
    {
        var get = await Ok(ep, Dial, "--user", Root, "get", "", "--prefix", "-w", "json");
        (string kvs, long revision) = KvsAndRevision(get.Out);
        using var doc = JsonDocument.Parse(get.Out);
        string clusterId = doc.RootElement.GetProperty("header").GetProperty("cluster_id").GetRawText();
        var compacted = await Ctl.RunAsync(ep, Dial, "--user", Root, "get", "k05", "--rev=3");
        var old = await Ok(ep, Dial, "--user", Root, "get", "k05", "--rev=24", "-w", "json");
        var users = await Ok(ep, Dial, "--user", Root, "user", "list");
        var role = await Ok(ep, Dial, "--user", Root, "role", "get", "reader");
        var anonymous = await Ctl.RunAsync(ep, "get", "k05");
        var denied = await Ctl.RunAsync(ep, Dial, "--user", "bob:bobpw", "get", "leased");
        var allowed = await Ok(ep, Dial, "--user", "bob:bobpw", "get", "k05", "--print-value-only");
        Assert.Equal("third\n", allowed.Out);
        var ttl = await Ok(ep, Dial, "--user", Root, "lease", "timetolive", leaseId.ToString("x"), "--keys");
        int remaining = int.Parse(Remaining().Match(ttl.Out).Groups[1].Value);
        // The first write after the restore continues the backup's revisions.
        var put = await Ok(ep, Dial, "--user", Root, "put", "after-restore", "x", "-w", "json");
        using var putDoc = JsonDocument.Parse(put.Out);
        long putRevision = putDoc.RootElement.GetProperty("header").GetProperty("revision").GetInt64();
        return new Observed(
            kvs, revision, clusterId,
            ErrorLine(compacted.Err),
            KvsAndRevision(old.Out).Kvs,
            users.Out, role.Out,
            ErrorLine(anonymous.Err),
            ErrorLine(denied.Err),
            Remaining().Replace(ttl.Out, "remaining(N s)"),
            remaining, putRevision);
    }

    /// <summary>The kvs of a `get -w json` (with their revisions and versions) and its header revision.</summary>
    private static (string Kvs, long Revision) KvsAndRevision(string json)
    {
        using var doc = JsonDocument.Parse(json);
        string kvs = doc.RootElement.TryGetProperty("kvs", out JsonElement k) ? k.GetRawText() : "[]";
        return (kvs, doc.RootElement.GetProperty("header").GetProperty("revision").GetInt64());
    }

    private static async Task<Ctl.Result> Ok(string ep, params string[] args) => await Ok(ep, args, null);

    private static async Task<Ctl.Result> Ok(string ep, string[] args, string? input)
    {
        var r = await Ctl.RunAsync(ep, args, input);
        Assert.True(r.Exit == 0, $"etcdctl {string.Join(' ', args.Select(a => a.Length > 80 ? a[..80] + "..." : a))}: {r}");
        return r;
    }

    /// <summary>etcdctl's local commands (snapshot status/restore): no endpoint involved.</summary>
    private static Task<Ctl.Result> EtcdctlLocal(params string[] args) => Run("etcdctl", args);

    private static Task<Ctl.Result> KvStoreCommand(params string[] args) => Run(Binaries.DotnetHost(), [Binaries.KvStoreDll, .. args]);

    private static Task<Ctl.Result> Run(string file, string[] args) =>
        Task.Run(() =>
        {
            (int code, string stdout, string stderr) = ChildProcess.Run(file, args, environment: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" },
                timeout: TimeSpan.FromSeconds(120));
            return new Ctl.Result(code, stdout, stderr);
        });

    [GeneratedRegex(@"lease ([0-9a-f]+) granted")]
    private static partial Regex LeaseId();

    [GeneratedRegex(@"remaining\((\d+)s\)")]
    private static partial Regex Remaining();

    private sealed class Scratch : IDisposable
    {
        public string Dir { get; } = Path.Combine(Path.GetTempPath(), "kvstore-snapshot-restore-tests", Guid.NewGuid().ToString("N"));

        public Scratch() => Directory.CreateDirectory(Dir);

        public void Dispose()
        {
            try
            {
                Directory.Delete(Dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>An etcd or kvstore member started on a restored data dir with the restore's name and peer URL; killed on dispose.</summary>
    private sealed class Member(ChildProcess process, string url, string kind) : IDisposable
    {
        public string Url { get; } = url;

        public string Output => process.Output;

        public string Tail => process.Tail(60);

        public static Member Start(string kind, string dataDir, int clientPort, int peerPort, string name = "m1")
        {
            Member member = Launch(kind, dataDir, clientPort, peerPort, name, $"{name}=http://127.0.0.1:{peerPort}");
            member.WaitReady();
            return member;
        }

        /// <summary>Starts the process without waiting (members of one cluster start together).</summary>
        public static Member Launch(string kind, string dataDir, int clientPort, int peerPort, string name, string initialCluster)
        {
            string url = $"http://127.0.0.1:{clientPort}", peer = $"http://127.0.0.1:{peerPort}";
            // A restored data dir keeps the members of the restore; --initial-cluster is ignored by both, as on any restart.
            string[] args =
            [
                "--name", name, "--data-dir", dataDir, "--listen-client-urls", url, "--advertise-client-urls", url,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", initialCluster,
            ];
            return new Member(kind == "etcd" ? new ChildProcess("etcd", args) : ChildProcess.KvStore(args), url, kind);
        }

        public void WaitReady()
        {
            if (!process.WaitFor(SingleMember.ReadyLine, TimeSpan.FromSeconds(120)))
            {
                string output = process.Tail(80);
                Dispose();
                throw new InvalidOperationException($"{kind} did not get ready:\n{output}");
            }
        }

        public void Dispose() => process.Dispose();
    }
}
