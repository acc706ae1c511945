using Etcdserverpb;
using KvStore.Mvcc.Watch;
using KvStore.Server.Apply;
using KvStore.TestSupport;
using static KvStore.Mvcc.Tests.Rules.RuleStore;

namespace KvStore.Mvcc.Tests.Rules;

/// <summary>
/// Durability and idempotency rules (etcd's consistent index: etcdserver/server.go applyEntryNormal skips an
/// entry whose index is at or below the consistent index, which is saved with the backend).
/// </summary>
public sealed class DurabilityTests
{
    /// <summary>A log of commands covering every kind the engine applies; index i is Log[i - 1].</summary>
    private static readonly InternalRaftRequest[] Log =
    [
        new() { LeaseGrant = new LeaseGrantRequest { ID = 1, TTL = 60 } },
        new() { Put = PutReq("a", "1") },
        new() { Put = PutReq("b", "1", lease: 1) },
        new() { Txn = Txn(success: [OpPut("c", "1"), OpPut("a", "2")]) },
        new() { DeleteRange = DelReq("c") },
        new() { LeaseGrant = new LeaseGrantRequest { ID = 2, TTL = 30 } },
        new() { Put = PutReq("d", "1", lease: 2) },
        new() { Compaction = new CompactionRequest { Revision = 4 } },
        new() { Put = PutReq("a", "3") },
        new() { LeaseRevoke = new LeaseRevokeRequest { ID = 1 } },
        new()
        {
            Txn = Txn(
                [new Compare { Key = B("a"), Target = Compare.Types.CompareTarget.Value, Value = B("3") }], [OpPut("e", "1")], [OpPut("f", "1")]),
        },
        new() { LeaseCheckpoint = new LeaseCheckpointRequest { Checkpoints = { new LeaseCheckpoint { ID = 2, RemainingTTL = 20 } } } },
        new() { Put = PutReq("g", "1") },
        new() { DeleteRange = DelReq("a", "\0") },
        new() { Put = PutReq("a", "4") },
    ];

    private static void ApplyRange(MvccStore s, int from, int to)
    {
        for (int i = from; i <= to; i++)
        {
            ApplyResult r = s.Apply(i, Log[i - 1], nowMs: 1000);
            Assert.True(r.Error == MvccError.None, $"index {i}: {r.Error}");
        }
    }

    /// <summary>Everything a client can observe: revisions, every range from the compact revision on, hashes, leases.</summary>
    private static string State(MvccStore s)
    {
        var parts = new List<string>
        {
            $"rev {s.CurrentRevision} compact {s.CompactRevision} ci {s.ConsistentIndex}",
            $"hashkv {s.HashKV(0).Value.Hash} hash {s.Hash().Hash}",
        };
        for (long rev = Math.Max(1, s.CompactRevision); rev <= s.CurrentRevision; rev++) parts.Add($"@{rev}: {DumpOf(s, rev)}");
        foreach (LeaseStatus l in s.Lessor.Leases().Leases.OrderBy(l => l.ID))
        {
            var (ttl, remaining, _, keys) = s.Lessor.Lookup(l.ID)!.Value;
            string names = string.Join(",", keys.Select(k => System.Text.Encoding.UTF8.GetString(k)));
            parts.Add($"lease {l.ID} ttl {ttl} remaining {remaining} keys {names}");
        }
        return string.Join("\n", parts);
    }

    private static string Reference()
    {
        using var s = new RuleStore();
        ApplyRange(s.Store, 1, Log.Length);
        return State(s.Store);
    }

    [Fact]
    public void Apply_AtOrBelowConsistentIndex_IsAlreadyApplied_AndChangesNothing()
    {
        // etcd applyEntryNormal: an entry with index <= consistentIndex is skipped.
        using var s = new RuleStore();
        ApplyRange(s.Store, 1, 9);
        Assert.Equal(9, s.Store.ConsistentIndex);
        string before = State(s.Store);
        for (int i = 1; i <= 9; i++)
        {
            Assert.Equal(MvccError.AlreadyApplied, s.Store.Apply(i, Log[i - 1]).Error);
            // a different command at an applied index is skipped too: the index alone decides
            Assert.Equal(MvccError.AlreadyApplied, s.Store.Apply(i, new InternalRaftRequest { Put = PutReq("zzz", "1") }).Error);
        }
        Assert.Equal(MvccError.AlreadyApplied, KvApplier.Put(s.Store, PutReq("zzz", "1"), index: 9).Error);
        // every kind of command, a serialized read and one the engine does not own included
        Assert.Equal(MvccError.AlreadyApplied, s.Store.Apply(5, new InternalRaftRequest { Range = RangeReq("a") }).Error);
        Assert.Equal(MvccError.AlreadyApplied, s.Store.Apply(5, new InternalRaftRequest { AuthEnable = new AuthEnableRequest() }).Error);
        Assert.Equal(MvccError.AlreadyApplied, s.Store.Compact(9, index: 3).Error);
        Assert.Equal(MvccError.AlreadyApplied, s.Store.LeaseGrant(new LeaseGrantRequest { ID = 50, TTL = 10 }, index: 1).Error);
        Assert.Equal(before, State(s.Store));
    }

    [Fact]
    public void Index0_IsAlwaysApplied_AndLeavesTheConsistentIndex()
    {
        // etcd: only raft entries move the consistent index; a write outside the log (index 0) does not.
        using var s = new RuleStore();
        ApplyRange(s.Store, 1, 3);
        _ = KvApplier.Put(s.Store, PutReq("x", "1")).Value;
        _ = KvApplier.Put(s.Store, PutReq("x", "2")).Value;
        Assert.Equal(3, s.Store.ConsistentIndex);
        Assert.Equal(2, s.One("x")!.Version);
    }

    [Fact]
    public void FailedCommand_StillMovesTheConsistentIndex()
    {
        // etcd: an entry whose request fails (lease not found, compacted...) is still applied: the consistent
        // index moves, and a replay of it is skipped.
        using var s = new RuleStore();
        ApplyRange(s.Store, 1, 2);
        Assert.Equal(MvccError.LeaseNotFound, s.Store.Apply(3, new InternalRaftRequest { Put = PutReq("x", "1", lease: 77) }).Error);
        Assert.Equal(3, s.Store.ConsistentIndex);
        Assert.Equal(MvccError.AlreadyApplied, s.Store.Apply(3, new InternalRaftRequest { Put = PutReq("x", "1", lease: 77) }).Error);
    }

    [Fact]
    public void MarkApplied_MovesTheConsistentIndex()
    {
        // etcd: every applied entry (alarms, which the member owns, too) moves the consistent index.
        using var s = new RuleStore();
        var raise = new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Activate, Alarm = AlarmType.Nospace };
        var alarm = new InternalRaftRequest { Alarm = raise };
        ApplyResult r = s.Store.Apply(1, alarm);
        Assert.IsType<AlarmResponse>(r.Response);
        Assert.Equal(1, s.Store.ConsistentIndex);
        Assert.False(s.Store.MarkApplied(1));
        Assert.True(s.Store.MarkApplied(2));
        Assert.Equal(2, s.Store.ConsistentIndex);
    }

    [Fact]
    public void TxnWrite_AtOrBelowConsistentIndex_WritesNothing_AndEndMovesTheConsistentIndex()
    {
        // etcd's applyEntryNormal skips an entry at or below the consistent index; the write transaction's End
        // saves the index of an applied one, whether it wrote anything or not.
        using var s = new RuleStore();
        ApplyRange(s.Store, 1, 3);
        long rev = s.Rev;
        string before = State(s.Store);
        foreach (long index in new long[] { 1, 3 })
        {
            using TxnWrite tx = s.Store.BeginWrite(index);
            Assert.True(tx.AlreadyApplied);
            Assert.Throws<InvalidOperationException>(() => tx.Put(B("n"), B("1"), 0));
            Assert.Throws<InvalidOperationException>(() => tx.DeleteRange(B("a").Span, null));
        }
        Assert.Equal(before, State(s.Store));

        using (TxnWrite tx = s.Store.BeginWrite(4))
        {
            Assert.False(tx.AlreadyApplied);
            Assert.Equal(rev + 1, tx.Put(B("n"), B("1"), 0));
            Assert.Equal(3, s.Store.ConsistentIndex); // moved by End, not before
            tx.End();
        }
        Assert.Equal(4, s.Store.ConsistentIndex);
        Assert.Equal(rev + 1, s.Rev);

        s.Store.BeginWrite(5).End(); // a transaction that wrote nothing moves the index, not the revision
        Assert.Equal(5, s.Store.ConsistentIndex);
        Assert.Equal(rev + 1, s.Rev);
    }

    [Fact]
    public async Task ATransactionLeftByAnExceptionPublishesNothing()
    {
        // An exception in a command (a bug or a broken disk) stops the member's applier. The transaction it leaves must
        // not move the revision or the consistent index, nor tell watchers, nor reach a checkpoint: after a restart the
        // command is applied again.
        using var s = new RuleStore();
        ApplyRange(s.Store, 1, 3);
        long rev = s.Rev;
        string before = State(s.Store);
        using WatchStream ws = s.Store.NewWatchStream();
        _ = ws.Watch(B("\0").Span, B("\0").Span, 0).Value;

        Assert.Throws<IOException>(FailingCommand);
        Assert.Equal(3, s.Store.ConsistentIndex);
        Assert.Equal(rev, s.Rev);
        Assert.Equal(before, State(s.Store));
        Assert.False(ws.TryRead(out _));

        // the changes are in the engine all the same: no more writes, no checkpoint (a clean close included)
        Assert.Throws<InvalidOperationException>(() => s.Store.BeginWrite(5));
        Assert.Throws<InvalidOperationException>(() => s.Store.MarkApplied(5));
        Assert.Throws<InvalidOperationException>(() => s.Store.Apply(5, Log[7], nowMs: 1000)); // a compaction: MvccStore.Write
        await Assert.ThrowsAsync<InvalidOperationException>(s.Store.CheckpointAsync);

        // restarted, the store is its last checkpoint; the log replays what came after it, then the command at 4
        ws.Dispose();
        s.Reopen();
        Assert.True(s.Store.ConsistentIndex < 3);
        ApplyRange(s.Store, (int)s.Store.ConsistentIndex + 1, 3);
        Assert.Equal(before, State(s.Store));
        using WatchStream after = s.Store.NewWatchStream();
        _ = after.Watch(B("\0").Span, B("\0").Span, 0).Value;
        using (TxnWrite tx = s.Store.BeginWrite(4))
        {
            Assert.False(tx.AlreadyApplied);
            Assert.Equal(rev + 1, tx.Put(B("n"), B("2"), 0));
            tx.End();
        }
        Assert.Equal(4, s.Store.ConsistentIndex);
        Assert.True(after.TryRead(out WatchResponse resp));
        Assert.Equal("2", Assert.Single(resp.Events).Kv.Value.ToStringUtf8());

        void FailingCommand()
        {
            using TxnWrite tx = s.Store.BeginWrite(4);
            tx.Put(B("n"), B("1"), 0);
            throw new IOException("the engine's disk failed");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(6)] // last command before the checkpoint is a lease grant
    [InlineData(8)] // ... a compaction
    [InlineData(10)] // ... a lease revoke
    [InlineData(12)] // ... a lease checkpoint
    [InlineData(15)]
    public async Task CheckpointThenReopen_RecoversIndexAndData_AndReplayAfterItMatchesANeverRestartedStore(int checkpointAt)
    {
        // etcd: the consistent index is saved with the backend; on restart raft replays entries after it.
        using var s = new RuleStore();
        ApplyRange(s.Store, 1, checkpointAt);
        string atCheckpoint = State(s.Store);
        await s.Store.CheckpointAsync();
        s.Reopen();
        Assert.Equal(checkpointAt, s.Store.ConsistentIndex);
        Assert.Equal(atCheckpoint, State(s.Store));

        // the caller replays its whole log: what is at or below the consistent index is skipped
        for (int i = 1; i <= Log.Length; i++)
        {
            ApplyResult r = s.Store.Apply(i, Log[i - 1], nowMs: 1000);
            Assert.Equal(i <= checkpointAt ? MvccError.AlreadyApplied : MvccError.None, r.Error);
        }
        Assert.Equal(Reference(), State(s.Store));
    }

    [Theory]
    [InlineData(6)] // lease grant
    [InlineData(8)] // compaction
    [InlineData(10)] // lease revoke
    [InlineData(12)] // lease checkpoint
    public async Task CleanClose_KeepsEveryAppliedCommand(int lastIndex)
    {
        // etcd commits the backend (with the consistent index) on a clean stop.
        // Dispose() takes a final checkpoint of everything applied, whatever the last command was.
        using var s = new RuleStore();
        ApplyRange(s.Store, 1, lastIndex - 1);
        await s.Store.CheckpointAsync();
        ApplyRange(s.Store, lastIndex, lastIndex);
        string before = State(s.Store);
        s.Reopen();
        Assert.Equal(before, State(s.Store));
    }

    [Fact]
    public async Task CrashAfterCheckpoint_LosesLaterWrites_ReplayRestoresThem()
    {
        // etcd: after a crash the backend is at its last commit; the WAL replay after its consistent index restores the rest.
        // A copy of the folder taken after a checkpoint and more writes stands for a crash: the store recovers
        // the checkpoint (its consistent index and data), and replaying the log after it gives the reference state.
        using var s = new RuleStore();
        ApplyRange(s.Store, 1, 7);
        string at7 = State(s.Store);
        await s.Store.CheckpointAsync();
        ApplyRange(s.Store, 8, 11);
        string crashDir = Path.Combine(s.Root, "crash");
        Directories.Copy(s.Options.Directory, crashDir);

        using var recovered = MvccStore.Open(OptionsFor(crashDir));
        Assert.Equal(7, recovered.ConsistentIndex);
        Assert.Equal(at7, State(recovered));
        for (int i = 1; i <= Log.Length; i++) _ = recovered.Apply(i, Log[i - 1], nowMs: 1000);
        Assert.Equal(Reference(), State(recovered));
    }
}
