using KvStore.Server.Snapshots;
using Xunit.Abstractions;

namespace KvStore.Server.Tests;

/// <summary>Raft snapshots: WAL compaction after --snapshot-count, restart from the snapshot, install on a lagging member.</summary>
public class SnapshotTests(ITestOutputHelper output)
{
    private static readonly string Value = new('v', 1000);

    /// <summary>The bytes of the Raft log's segments (preallocated: each counts whole).</summary>
    private static long WalBytes(ServerConfig config) =>
        new DirectoryInfo(Path.Combine(config.DataDir, "member", "wal", "log")).EnumerateFiles("*.wal").Sum(f => f.Length);

    /// <summary>Every member's HashKV at member <paramref name="at"/>'s current revision is the same; returns that revision.</summary>
    private static long AssertSameHashes(SnapshotTestCluster cluster, int at)
    {
        long revision = cluster.Members[at]!.Store.CurrentRevision;
        uint[] hashes = cluster.Members.Select(s => s!.Store.HashKV(revision).Value.Hash).ToArray();
        Assert.All(hashes, h => Assert.Equal(hashes[0], h));
        return revision;
    }

    private static async Task PutManyAsync(Func<Etcdserverpb.InternalRaftRequest, Task<ProposeResult>> propose, string prefix, int count, int concurrency)
    {
        for (int i = 0; i < count; i += concurrency)
        {
            ProposeResult[] results = await Task.WhenAll(Enumerable.Range(i, Math.Min(concurrency, count - i))
                .Select(j => propose(SnapshotTestCluster.Put($"{prefix}{j % 200}", $"{Value}{j}"))));
            Assert.All(results, r => Assert.True(r.Ok, $"{r.Error} {r.MvccError}"));
        }
    }

    [Fact]
    public async Task SnapshotsReclaimTheWalAndARestartRestoresTheSameState()
    {
        // no catch-up window: the WAL is reclaimed up to each snapshot at once, a whole 256 KiB segment at a time
        await using var m = await TestMember.StartAsync(c => c with
        {
            SnapshotCount = 100, SnapshotCatchUpEntries = 0, WalSegmentBytes = 256 << 10,
        });
        string walDir = Path.Combine(m.Config.DataDir, "member", "wal");
        const int Puts = 4000; // ~4 MB of values: sixteen segments if nothing were dropped
        await PutManyAsync(r => m.Server.ProposeAsync(r, default), "k", Puts, concurrency: 8);

        // The log drops the segments behind the snapshot after its next apply: wait for it (the machine is slow).
        long wal = WalBytes(m.Config);
        for (int i = 0; i < 200 && wal > 2 * 1024 * 1024; i++)
        {
            await m.Server.ProposeAsync(SnapshotTestCluster.Put("tick", "x"), default);
            await Task.Delay(50);
            wal = WalBytes(m.Config);
        }
        Assert.True(wal <= 2 * 1024 * 1024, $"WAL holds {wal} bytes after {Puts} puts of 1 KB with --snapshot-count 100: "
            + string.Join(", ", new DirectoryInfo(walDir).EnumerateFiles("*", SearchOption.AllDirectories).Select(f => $"{Path.GetRelativePath(walDir, f.FullName)}={f.Length}"))
            + $"; snapshot {SnapshotFile.Read(Path.Combine(m.Config.DataDir, "member", "snap"))}");
        var snap = SnapshotFile.Read(Path.Combine(m.Config.DataDir, "member", "snap"));
        Assert.NotNull(snap);
        Assert.True(snap.Value.Index > 0 && snap.Value.Term > 0);

        long revision = m.Server.Store.CurrentRevision;
        uint hash = m.Server.Store.HashKV(0).Value.Hash;
        await m.RestartAsync();
        Assert.Equal(revision, m.Server.Store.CurrentRevision);
        Assert.Equal(hash, m.Server.Store.HashKV(0).Value.Hash);
        Assert.True(m.Server.AppliedIndex >= snap.Value.Index);

        // It keeps writing, snapshotting and restarting from the newer snapshot.
        await PutManyAsync(r => m.Server.ProposeAsync(r, default), "after", 300, concurrency: 8);
        revision = m.Server.Store.CurrentRevision;
        hash = m.Server.Store.HashKV(0).Value.Hash;
        await m.RestartAsync();
        Assert.Equal(revision, m.Server.Store.CurrentRevision);
        Assert.Equal(hash, m.Server.Store.HashKV(0).Value.Hash);
        Assert.True(SnapshotFile.Read(Path.Combine(m.Config.DataDir, "member", "snap"))!.Value.Index > snap.Value.Index);
    }

    private static Etcdserverpb.InternalRaftRequest Alarm(ulong member) => new()
    {
        Alarm = new Etcdserverpb.AlarmRequest
        {
            Action = Etcdserverpb.AlarmRequest.Types.AlarmAction.Activate, MemberID = member, Alarm = Etcdserverpb.AlarmType.Corrupt,
        },
    };

    [Fact]
    public async Task AlarmsSurviveARestartAfterTheirEntryWasCompacted()
    {
        // etcd keeps alarms in its backend; ours are member state, carried by the snapshot marker.
        await using var m = await TestMember.StartAsync(c => c with { SnapshotCount = 20, SnapshotCatchUpEntries = 0 });
        Assert.True((await m.Server.ProposeAsync(Alarm(7), default)).Ok);
        await PutManyAsync(r => m.Server.ProposeAsync(r, default), "k", 100, concurrency: 4);
        await m.RestartAsync();
        Assert.Contains(m.Server.Alarms, a => a.MemberID == 7 && a.Alarm == Etcdserverpb.AlarmType.Corrupt);
    }

    [Fact]
    public async Task AMemberBehindTheCompactedLogCatchesUpThroughASnapshot()
    {
        await using var cluster = new SnapshotTestCluster(3, snapshotCount: 100);
        await cluster.StartAllAsync();
        await PutManyAsync(cluster.ProposeAsync, "a", 50, concurrency: 5);

        // Stop a follower; the other two go on, snapshot and compact their logs past it.
        int leader = cluster.LeaderIndex();
        int lagging = (leader + 1) % 3;
        await cluster.StopAsync(lagging);
        Assert.True((await cluster.ProposeAsync(Alarm(7))).Ok); // reaches the lagging member only in the snapshot
        Assert.True((await cluster.ProposeAsync(new Etcdserverpb.InternalRaftRequest
        {
            AuthUserAdd = new Etcdserverpb.AuthUserAddRequest { Name = "alice", HashedPassword = "$2a$04$alice" },
        })).Ok); // so does the auth store's change: auth revision 2
        await PutManyAsync(cluster.ProposeAsync, "b", 1500, concurrency: 10);
        for (int i = 0; i < 3; i++)
        {
            if (i == lagging) continue;
            Assert.NotNull(SnapshotFile.Read(Path.Combine(cluster.Config(i).DataDir, "member", "snap")));
        }

        await cluster.StartAsync(lagging);
        await PutManyAsync(cluster.ProposeAsync, "c", 20, concurrency: 5); // the log continues after the snapshot
        await WaitForEqualRevisionsAsync(cluster);

        long revision = AssertSameHashes(cluster, 0);
        Assert.True(cluster.Loggers[lagging].Contains("installed raft snapshot"),
            "the lagging member did not install a snapshot:\n" + string.Join('\n', cluster.Loggers[lagging].Lines.TakeLast(40)));
        Assert.True(revision >= 1 + 50 + 1500 + 20, $"revision {revision}"); // more if a retried put had committed after all
        Assert.Contains(cluster.Members[lagging]!.Alarms, a => a.MemberID == 7 && a.Alarm == Etcdserverpb.AlarmType.Corrupt);
        Assert.Equal(2UL, cluster.Members[lagging]!.AuthStatus().AuthRevision); // the auth store recovered after the restore
    }

    [Fact]
    public async Task AMemberLaggingByLessThanTheCatchUpEntriesCatchesUpFromTheLog()
    {
        // the same lag as above, but the leader keeps 100,000 entries behind each snapshot (etcd's
        // SnapshotCatchUpEntries): the lagging member gets entries, no snapshot, though snapshots were taken
        await using var cluster = new SnapshotTestCluster(3, snapshotCount: 100, catchUpEntries: 100_000);
        await cluster.StartAllAsync();
        await PutManyAsync(cluster.ProposeAsync, "a", 50, concurrency: 5);
        int leader = cluster.LeaderIndex();
        int lagging = (leader + 1) % 3;
        await cluster.StopAsync(lagging);
        await PutManyAsync(cluster.ProposeAsync, "b", 1500, concurrency: 10);
        Assert.NotNull(SnapshotFile.Read(Path.Combine(cluster.Config(leader).DataDir, "member", "snap")));

        await cluster.StartAsync(lagging);
        await PutManyAsync(cluster.ProposeAsync, "c", 20, concurrency: 5);
        await WaitForEqualRevisionsAsync(cluster);

        AssertSameHashes(cluster, 0);
        Assert.False(cluster.Loggers[lagging].Contains("installing raft snapshot"),
            "the lagging member was sent a snapshot although the log reached back to it:\n" + string.Join('\n', cluster.Loggers[lagging].Lines.TakeLast(20)));
    }

    // A timing property of the machine (a 34 MB install inside DotNext's 750 ms exchange): tools/test.sh runs the
    // tests with this trait after the others, alone, not beside ten other test assemblies on two cores.
    [Fact]
    [Trait("Category", "Alone")]
    public async Task AMemberBehindALargeStoreCatchesUpWithTheDefaultElectionTimeout()
    {
        // DotNext bounds the whole InstallSnapshot exchange by its request timeout (750 ms with the default 1 s
        // election timeout); restoring a 32 MB store inside it took longer than that here. The restore now runs after
        // the exchange, before the next entry is applied.
        await using var cluster = new SnapshotTestCluster(3, snapshotCount: 200);
        await cluster.StartAllAsync();
        int leader = cluster.LeaderIndex();
        int lagging = (leader + 1) % 3;
        await cluster.StopAsync(lagging);
        string big = new('x', 17 * 1024); // 2048 x 17 KB: above 32 MB whatever the engine's per-record overhead
        for (int i = 0; i < 2048; i += 16)
        {
            ProposeResult[] results = await Task.WhenAll(Enumerable.Range(i, 16)
                .Select(j => cluster.ProposeAsync(SnapshotTestCluster.Put($"big/{j:D5}", big + j))));
            Assert.All(results, r => Assert.True(r.Ok, $"{r.Error} {r.MvccError}"));
        }
        long size = cluster.Members[leader]!.Store.StorageSizeBytes;
        Assert.True(size >= 32L << 20, $"the store holds {size} bytes, not the 32 MB this test is about");

        await cluster.StartAsync(lagging);
        await PutManyAsync(cluster.ProposeAsync, "after", 20, concurrency: 5);
        await WaitForEqualRevisionsAsync(cluster);
        AssertSameHashes(cluster, leader);
        Assert.True(cluster.Loggers[lagging].Contains("installed raft snapshot"), "the lagging member did not install a snapshot");
        // How many exchanges it took depends on the machine's load (a timed-out one is sent again at a newer index):
        // printed, not asserted.
        output.WriteLine($"{cluster.Loggers[lagging].Lines.Count(l => l.Contains("installing raft snapshot", StringComparison.Ordinal))} snapshot install(s) of a {size >> 20} MB store");
    }

    private static async Task WaitForEqualRevisionsAsync(SnapshotTestCluster cluster)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            long[] revisions = cluster.Members.Select(s => s!.Store.CurrentRevision).ToArray();
            if (revisions.All(r => r == revisions[0])) return;
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("members did not converge: revisions " + string.Join(", ", revisions) + "\n"
                    + string.Join("\n---\n", cluster.Loggers.Select(l => string.Join('\n', l.Lines.Where(x => !x.Contains("Debug")).TakeLast(30)))));
            }
            await Task.Delay(100);
        }
    }
}
