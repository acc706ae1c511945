using System.Text.Json.Nodes;

namespace KvStore.Operations.Tests;

/// <summary>
/// kvstore started on an etcd 3.4 data dir serves what etcd would serve when restarted on the same files: each
/// data dir is copied, real etcd restarts on the copy, kvstore starts on the original, and both are asked the same
/// etcdctl questions (keys with their revisions and versions, history and compaction, leases, users and roles,
/// member and cluster ids).
/// </summary>
public sealed class EtcdDataDirImportTests(EtcdDataDirImportTests.StoppedEtcd stopped) : IDisposable, IClassFixture<EtcdDataDirImportTests.StoppedEtcd>
{
    /// <summary>One etcd member written to (<see cref="WriteWithEtcdAsync"/>), a snapshot saved, then stopped with SIGTERM; shared by the tests that only read it.</summary>
    public sealed class StoppedEtcd : IAsyncLifetime
    {
        private readonly string _root = Directory.CreateTempSubdirectory("kvstore-ops-").FullName;

        public Launch Launch { get; private set; } = null!;

        public string Backup => Path.Combine(_root, "backup.db");

        public async Task InitializeAsync() => Launch = await WriteWithEtcdAsync(Path.Combine(_root, "etcd"), ChildProcess.SigTerm, Backup);

        public Task DisposeAsync()
        {
            Directory.Delete(_root, recursive: true);
            return Task.CompletedTask;
        }
    }

    // etcdctl signs in while it dials (2 s by default); bcrypt on a busy two-core machine can take longer
    private const string Root = "--user=root:rootpw";
    private const string Dial = "--dial-timeout=20s";
    private readonly string _root = Directory.CreateTempSubdirectory("kvstore-ops-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task A_member_stopped_with_SIGTERM()
    {
        Launch etcd = stopped.Launch with { DataDir = Path.Combine(_root, "etcd") };
        Directories.Copy(stopped.Launch.DataDir, etcd.DataDir);
        await AssertKvStoreServesAsEtcdAsync(etcd, expectWalEntries: false);
    }

    [Fact]
    public async Task A_member_killed_with_SIGKILL_whose_backend_never_committed()
    {
        // etcd commits its backend every --backend-batch-interval: an hour keeps every write of the run in the WAL only.
        Launch etcd = await WriteWithEtcdAsync(Path.Combine(_root, "etcd"), ChildProcess.SigKill, null, "--backend-batch-interval=1h", "--backend-batch-limit=1000000");
        await AssertKvStoreServesAsEtcdAsync(etcd, expectWalEntries: true);
    }

    [Fact]
    public async Task A_data_dir_made_by_etcdctl_snapshot_restore()
    {
        string backup = stopped.Backup;
        string restored = Path.Combine(_root, "restored");
        var launch = Launch.OnFreePorts(restored, "r1");
        var (code, _, err) = ChildProcess.Run("etcdctl", ["snapshot", "restore", backup, "--data-dir", restored, "--name", "r1",
            "--initial-cluster", $"r1={launch.PeerUrl}", "--initial-advertise-peer-urls", launch.PeerUrl], environment: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });
        Assert.True(code == 0, err);
        await AssertKvStoreServesAsEtcdAsync(launch, expectWalEntries: false);
    }

    [Fact]
    public async Task A_three_member_restore_becomes_a_three_member_cluster_and_a_running_etcd_cluster_is_refused()
    {
        string backup = stopped.Backup;
        Launch[] kv = [.. new[] { "r1", "r2", "r3" }.Select(n => Launch.OnFreePorts(Path.Combine(_root, "kv-" + n), n))];
        Launch[] etcd = kv.Select(l => Launch.OnFreePorts(Path.Combine(_root, "etcd-" + l.Name), l.Name)).ToArray();
        // One restore per member, as an operator does; etcd restarts on copies with the same peer URLs as kvstore's,
        // so that both get the same member ids.
        string cluster = string.Join(",", kv.Select(l => $"{l.Name}={l.PeerUrl}"));
        foreach (Launch l in kv)
        {
            var (code, _, err) = ChildProcess.Run("etcdctl", ["snapshot", "restore", backup, "--data-dir", l.DataDir, "--name", l.Name,
                "--initial-cluster", cluster, "--initial-advertise-peer-urls", l.PeerUrl], environment: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });
            Assert.True(code == 0, err);
        }
        for (int i = 0; i < 3; i++) Directories.Copy(kv[i].DataDir, etcd[i].DataDir);

        ChildProcess[] kvstores = kv.Select(l => l.Start("kvstore")).ToArray();
        // etcd's members dial the peer URLs their data dirs name (the same as kvstore's): the etcd cluster runs after
        // the kvstore cluster has stopped, on the same ports.
        try
        {
            foreach (ChildProcess p in kvstores) Assert.True(await p.WaitForLineAsync(SingleMember.ReadyLine, TimeSpan.FromSeconds(120)), p.Output);
            var kvAnswers = Questions().Select(q => Normalize(Etcdctl.Run(kv[1].Endpoint, q))).ToList();
            foreach (ChildProcess p in kvstores) p.Signal(ChildProcess.SigTerm);
            foreach (ChildProcess p in kvstores) Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), p.Output);

            ChildProcess[] etcds = etcd.Select((l, i) => l with { ClientPort = kv[i].ClientPort, PeerPort = kv[i].PeerPort }).Select(l => l.Start("etcd")).ToArray();
            try
            {
                foreach (ChildProcess p in etcds) Assert.True(await p.WaitForLineAsync(SingleMember.ReadyLine, TimeSpan.FromSeconds(120)), p.Output);
                var etcdAnswers = Questions().Select(q => Normalize(Etcdctl.Run(kv[1].Endpoint, q))).ToList();
                for (int i = 0; i < kvAnswers.Count; i++) Assert.True(etcdAnswers[i] == kvAnswers[i], $"etcd:    {etcdAnswers[i]}\nkvstore: {kvAnswers[i]}");

                // The etcd cluster runs on: its members' data dirs now hold entries no other member need share.
                Assert.Equal(0, Etcdctl.Run(kv[0].Endpoint, [Dial, Root, "put", "later", "1"]).Exit);
                foreach (ChildProcess p in etcds) p.Signal(ChildProcess.SigTerm);
                foreach (ChildProcess p in etcds) Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), p.Output);
            }
            finally
            {
                foreach (ChildProcess p in etcds) p.Dispose();
            }
            (int refused, string output) = (etcd[0] with { ClientPort = Ports.Free(), PeerPort = Ports.Free() }).RunToExit("kvstore");
            Assert.Equal(1, refused);
            Assert.Contains($"cannot import {etcd[0].DataDir}: it is a member of an etcd cluster of 3 members", output.Split('\n')[^1]);
            Assert.True(File.Exists(Path.Combine(etcd[0].DataDir, "member", "snap", "db")), "a refused import leaves etcd's files where they were");
        }
        finally
        {
            foreach (ChildProcess p in kvstores) p.Dispose();
        }
    }

    [Fact]
    public async Task A_live_etcd_member_keeps_kvstore_waiting_until_it_exits()
    {
        var launch = Launch.OnFreePorts(Path.Combine(_root, "live"), "e1");
        using ChildProcess etcd = launch.Start("etcd");
        Assert.True(await etcd.WaitForLineAsync(SingleMember.ReadyLine, TimeSpan.FromSeconds(90)), etcd.Output);
        Assert.Equal(0, Etcdctl.Run(launch.Endpoint, ["put", "k", "from-etcd"]).Exit);

        var kvLaunch = launch with { ClientPort = Ports.Free(), PeerPort = Ports.Free() };
        using ChildProcess kvstore = kvLaunch.Start("kvstore");
        string backend = Path.Combine(launch.DataDir, "member", "snap", "db");
        Assert.True(await kvstore.WaitForLineAsync($"another etcd process is using \"{backend}\" and holds the file lock", TimeSpan.FromSeconds(60)), kvstore.Output);
        Assert.DoesNotContain("importing", kvstore.Output);
        Assert.Equal(0, Etcdctl.Run(launch.Endpoint, ["put", "k2", "while-waiting"]).Exit);

        etcd.Signal(ChildProcess.SigTerm);
        Assert.True(etcd.WaitForExit(TimeSpan.FromSeconds(60)), etcd.Output);
        Assert.True(await kvstore.WaitForLineAsync(SingleMember.ReadyLine, TimeSpan.FromSeconds(90)), kvstore.Output);
        Assert.Equal("from-etcd\nwhile-waiting\n", Etcdctl.Run(kvLaunch.Endpoint, ["get", "k", "--prefix", "--print-value-only"]).Out);
    }

    /// <summary>
    /// A cluster of one etcd member: puts, overwrites, a delete, a compaction, a lease with a key, users, roles and
    /// auth enabled; then the member is stopped with <paramref name="signal"/> (and a snapshot saved first to <paramref name="save"/>).
    /// </summary>
    private static async Task<Launch> WriteWithEtcdAsync(string dataDir, int signal, string? save, params string[] extra)
    {
        var launch = Launch.OnFreePorts(dataDir, "e1");
        using ChildProcess etcd = launch.Start("etcd", extra);
        Assert.True(await etcd.WaitForLineAsync(SingleMember.ReadyLine, TimeSpan.FromSeconds(90)), etcd.Output);
        string[][] commands =
        [
            ["put", "a", "1"], ["put", "b", "1"], ["put", "a", "2"], ["del", "b"], ["put", "c", "1"], ["compact", "4"],
            ["put", "a", "3"], ["put", "/app/x", "1"],
            ["user", "add", "root:rootpw"], ["role", "add", "app"], ["role", "grant-permission", "app", "readwrite", "/app/", "--prefix"],
            ["user", "add", "svc:svcpw"], ["user", "grant-role", "svc", "app"], ["auth", "enable"],
            [Dial, Root, "put", "/app/y", "2"], [Dial, "--user=svc:svcpw", "put", "/app/z", "3"],
        ];
        foreach (string[] command in commands)
        {
            var r = Etcdctl.Run(launch.Endpoint, command);
            Assert.True(r.Exit == 0, $"etcdctl {string.Join(' ', command)}: {r.Err}");
        }
        var grant = Etcdctl.Run(launch.Endpoint, [Dial, Root, "lease", "grant", "600"]);
        string lease = grant.Out.Split(' ')[1];
        Assert.Equal(0, Etcdctl.Run(launch.Endpoint, [Dial, Root, "put", "leased", "v", "--lease=" + lease]).Exit);
        if (save is not null) Assert.Equal(0, Etcdctl.Run(launch.Endpoint, [Dial, Root, "snapshot", "save", save]).Exit);
        etcd.Signal(signal);
        Assert.True(etcd.WaitForExit(TimeSpan.FromSeconds(60)), etcd.Output);
        return launch;
    }

    /// <summary>kvstore on <paramref name="kvLaunch"/>'s data dir and ports (the etcd member's), etcd on a copy of the data dir.</summary>
    private static async Task AssertKvStoreServesAsEtcdAsync(Launch kvLaunch, bool expectWalEntries)
    {
        string dataDir = kvLaunch.DataDir;
        string copy = dataDir + ".copy";
        Directories.Copy(dataDir, copy);
        var etcdLaunch = Launch.OnFreePorts(copy, kvLaunch.Name);
        using ChildProcess etcd = etcdLaunch.Start("etcd");
        using ChildProcess kvstore = kvLaunch.Start("kvstore");
        Assert.True(await etcd.WaitForLineAsync(SingleMember.ReadyLine, TimeSpan.FromSeconds(90)), etcd.Output);
        Assert.True(await kvstore.WaitForLineAsync(SingleMember.ReadyLine, TimeSpan.FromSeconds(90)), kvstore.Output);

        string imported = kvstore.Output.Split('\n').Single(l => l.Contains("imported the etcd member", StringComparison.Ordinal));
        Assert.Equal(expectWalEntries, !imported.Contains(" plus 0 WAL entries applied", StringComparison.Ordinal));
        Assert.True(Directory.Exists(Path.Combine(dataDir, "member.etcd", "snap")), "etcd's files are kept aside");

        foreach (string[] question in Questions())
        {
            string fromEtcd = Normalize(Etcdctl.Run(etcdLaunch.Endpoint, question));
            string fromKv = Normalize(Etcdctl.Run(kvLaunch.Endpoint, question));
            Assert.True(fromEtcd == fromKv, $"etcdctl {string.Join(' ', question)}\netcd:    {fromEtcd}\nkvstore: {fromKv}");
        }
        // the users' passwords work (etcd 3.4's WAL holds them in clear; kvstore hashed them on import)
        Assert.Equal("3\n", Etcdctl.Run(kvLaunch.Endpoint, [Dial, "--user=svc:svcpw", "get", "/app/z", "--print-value-only"]).Out);
        Assert.Contains("permission denied", Etcdctl.Run(kvLaunch.Endpoint, [Dial, "--user=svc:svcpw", "put", "a", "9"]).Err);
    }

    private static IEnumerable<string[]> Questions()
    {
        yield return [Dial, Root, "get", "", "--prefix", "-w", "json"];
        yield return [Dial, Root, "get", "a", "--rev=4", "-w", "json"];
        yield return [Dial, Root, "get", "a", "--rev=3"];
        yield return [Dial, Root, "lease", "list"];
        yield return [Dial, Root, "user", "list"];
        yield return [Dial, Root, "role", "list"];
        yield return [Dial, Root, "role", "get", "app"];
        yield return [Dial, Root, "user", "get", "svc"];
        yield return [Dial, Root, "member", "list", "-w", "json"];
    }

    /// <summary>etcdctl's answer without what belongs to each run: the raft term, members' client URLs (each serves on its own port).</summary>
    private static string Normalize((int Exit, string Out, string Err) r)
    {
        string text = $"{r.Exit}|{r.Out.Trim()}|{(r.Exit == 0 ? "" : r.Err.Trim().Split('\n')[^1])}";
        if (!r.Out.TrimStart().StartsWith('{')) return text;
        JsonNode json = JsonNode.Parse(r.Out)!;
        json["header"]?.AsObject().Remove("raft_term");
        if (json["members"] is JsonArray members)
        {
            foreach (JsonNode? m in members) m!.AsObject().Remove("clientURLs");
            json["members"] = new JsonArray(members.Select(m => (JsonNode)JsonNode.Parse(m!.ToJsonString())!).ToArray());
        }
        return $"{r.Exit}|{json.ToJsonString()}";
    }
}
