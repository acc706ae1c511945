using DotNext.IO;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;
using Kvstorepb;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Server.Tests;

/// <summary>
/// Our <see cref="RaftLog"/> and DotNext's <see cref="WriteAheadLog"/> (as <see cref="DotNextRaftLog"/>), each under a
/// RaftStateMachine over its own engine, driven through <see cref="IPersistentState"/> by the same seeded script: leader
/// appends and commits, a follower's AppendEntries that skips committed entries and overwrites a conflicting suffix,
/// the commit clamp, restarts, snapshots with log compaction, and a snapshot installed into an empty member. After
/// every step both agree on the last, committed and applied indexes, the entries and terms above the snapshot, and the
/// engine's keys, revisions and consistent index.
/// </summary>
public sealed class RaftLogDifferentialTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kvstore-server-tests", Guid.NewGuid().ToString("N"));
    private static readonly ServerConfig Config = new() { SnapshotCount = 40, SnapshotCatchUpEntries = 0 };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task OurLogAndDotNextsLeaveTheSameStateForTheSameScript(int seed)
    {
        var random = new Random(seed);
        var ours = new Side(Path.Combine(_dir, "ours"), dotNext: false);
        var theirs = new Side(Path.Combine(_dir, "dotnext"), dotNext: true);
        try
        {
            await ours.OpenAsync();
            await theirs.OpenAsync();
            Side[] both = [ours, theirs];

            // The leader (term 1) appends, commits in steps and waits for the apply.
            for (int round = 0; round < 6; round++)
            {
                byte[][] entries = [.. Enumerable.Range(0, random.Next(1, 6)).Select(_ => Batch(random))];
                foreach (var side in both)
                {
                    foreach (byte[] entry in entries) await side.Trail.AppendAsync(new BinaryLogEntry { Content = entry, Term = 1 });
                    await side.CommitAndApplyAsync(side.View.LastEntryIndex);
                }
                await AssertSameAsync(ours, theirs);
            }

            // Three more uncommitted entries of term 1, then a new leader (term 2) sends entries that overlap the
            // committed ones (skipped) and conflict with the uncommitted ones (the suffix is replaced), and a commit past
            // what it carried (clamped to its last entry).
            long committed = ours.View.LastCommittedEntryIndex;
            byte[][] stale = [Batch(random), Batch(random), Batch(random)];
            byte[][] overwrite = [Batch(random), Batch(random)];
            foreach (var side in both)
            {
                foreach (byte[] entry in stale) await side.Trail.AppendAsync(new BinaryLogEntry { Content = entry, Term = 1 });
                var sent = new List<BinaryLogEntry>();
                for (long i = committed - 1; i <= committed; i++) sent.Add(new BinaryLogEntry { Content = await side.PayloadAsync(i), Term = 1 });
                sent.AddRange(overwrite.Select(entry => new BinaryLogEntry { Content = entry, Term = 2 }));
                await side.Trail.AppendAsync(new LogEntryProducer<BinaryLogEntry>([.. sent]), committed - 1, skipCommitted: true);
                await ((IAuditTrail)side.Trail).CommitAsync(committed + 2, CancellationToken.None);
                await side.View.WaitForApplyAsync(committed + 2, CancellationToken.None);
            }
            Assert.Equal(committed + 2, ours.View.LastEntryIndex);
            await AssertSameAsync(ours, theirs);
            Assert.Equal(2, await ours.TermAsync(committed + 2));

            // Enough entries for several snapshots (every 40 commands) and the compaction after them; then restarts.
            for (int round = 0; round < 3; round++)
            {
                foreach (var side in both) side.View.OnBecameLeader();
                byte[][] entries = [.. Enumerable.Range(0, 30).Select(_ => Batch(random))];
                foreach (var side in both)
                {
                    foreach (byte[] entry in entries) await side.Trail.AppendAsync(new BinaryLogEntry { Content = entry, Term = 2 });
                    await side.CommitAndApplyAsync(side.View.LastEntryIndex);
                }
                await AssertSameAsync(ours, theirs);
                foreach (var side in both) await side.RestartAsync();
                await AssertSameAsync(ours, theirs);
            }
            await WaitForSnapshotsAsync(ours, theirs);
            foreach (var side in both) Assert.True((await side.ReadAsync(1, side.View.LastEntryIndex))[0].IsSnapshot);

            // A member with an empty log gets the leader's snapshot, then the entries after it.
            var oursJoined = new Side(Path.Combine(_dir, "ours-joined"), dotNext: false);
            var theirsJoined = new Side(Path.Combine(_dir, "dotnext-joined"), dotNext: true);
            try
            {
                await oursJoined.OpenAsync();
                await theirsJoined.OpenAsync();
                ISnapshot snapshot = theirs.Stack.Machine.Snapshot!;
                long last = theirs.View.LastEntryIndex;
                foreach (var side in new[] { oursJoined, theirsJoined })
                {
                    await side.Trail.AppendAsync(snapshot, snapshot.Index);
                    await side.Stack.Machine.Restored;
                    var after = new List<BinaryLogEntry>();
                    for (long i = snapshot.Index + 1; i <= last; i++) after.Add(new BinaryLogEntry { Content = await theirs.PayloadAsync(i), Term = 2 });
                    await side.Trail.AppendAsync(new LogEntryProducer<BinaryLogEntry>([.. after]), snapshot.Index + 1, skipCommitted: true);
                    await ((IAuditTrail)side.Trail).CommitAsync(last, CancellationToken.None);
                    await side.View.WaitForApplyAsync(last, CancellationToken.None);
                }
                await AssertSameAsync(oursJoined, theirsJoined);
                Assert.Equal(Dump(theirs.Stack.Store), Dump(oursJoined.Stack.Store));
            }
            finally
            {
                await oursJoined.DisposeAsync();
                await theirsJoined.DisposeAsync();
            }
        }
        finally
        {
            await ours.DisposeAsync();
            await theirs.DisposeAsync();
        }
    }

    /// <summary>Indexes, entries above both snapshots (term, bytes, flags) and the engines agree.</summary>
    private static async Task AssertSameAsync(Side ours, Side theirs)
    {
        Assert.Equal(theirs.View.LastEntryIndex, ours.View.LastEntryIndex);
        Assert.Equal(theirs.View.LastCommittedEntryIndex, ours.View.LastCommittedEntryIndex);
        await theirs.View.WaitForApplyAsync(theirs.View.LastCommittedEntryIndex, CancellationToken.None);
        await ours.View.WaitForApplyAsync(ours.View.LastCommittedEntryIndex, CancellationToken.None);
        Assert.Equal(theirs.View.LastAppliedIndex, ours.View.LastAppliedIndex);
        await ours.Stack.Machine.DrainAsync(); // a snapshot still being taken would move the range's start under the reads
        await theirs.Stack.Machine.DrainAsync();
        long from = Math.Max(ours.Stack.Machine.Snapshot?.Index ?? 0, theirs.Stack.Machine.Snapshot?.Index ?? 0) + 1;
        long to = ours.View.LastEntryIndex;
        Assert.Equal(await theirs.ReadAsync(from, to), await ours.ReadAsync(from, to));
        for (long i = from; i <= to; i++) Assert.Equal(await theirs.TermAsync(i), await ours.TermAsync(i));
        Assert.Equal(Dump(theirs.Stack.Store), Dump(ours.Stack.Store));
        Assert.Equal(theirs.Stack.Store.ConsistentIndex, ours.Stack.Store.ConsistentIndex);
    }

    /// <summary>Both have reported a snapshot (each takes its own when its checkpoint completes, so the indexes may differ).</summary>
    private static async Task WaitForSnapshotsAsync(Side ours, Side theirs)
    {
        for (int i = 0; i < 200 && (ours.Stack.Machine.Snapshot is null || theirs.Stack.Machine.Snapshot is null); i++) await Task.Delay(50);
        Assert.NotNull(ours.Stack.Machine.Snapshot);
        Assert.NotNull(theirs.Stack.Machine.Snapshot);
    }

    private static List<string> Dump(MvccStore store) =>
        [.. store.Range(new RangeRequest { Key = ByteString.CopyFromUtf8("\0"), RangeEnd = ByteString.CopyFromUtf8("\0") }).Value.Kvs
            .Select(kv => $"{kv.Key.ToStringUtf8()}={kv.Value.ToStringUtf8()}@{kv.CreateRevision}/{kv.ModRevision}/{kv.Version}")];

    /// <summary>A batch of 1-3 puts and deletes over 20 keys.</summary>
    private static byte[] Batch(Random random)
    {
        var batch = new RaftBatch();
        for (int i = random.Next(1, 4); i > 0; i--)
        {
            string key = "k" + random.Next(20);
            batch.Requests.Add(random.Next(5) == 0
                ? new InternalRaftRequest { DeleteRange = new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(key) } }
                : new InternalRaftRequest { Put = new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(random.Next().ToString()) } });
        }
        return batch.ToByteArray();
    }

    /// <summary>One log implementation over its own engine, reopened in place on a restart.</summary>
    private sealed class Side(string dir, bool dotNext) : IAsyncDisposable
    {
        public RaftStack Stack { get; private set; } = null!;
        public IRaftLogView View { get; private set; } = null!;
        public IAuditTrail<IRaftLogEntry> Trail => View.AuditTrail;

        public async Task OpenAsync()
        {
            Stack = new RaftStack(dir, Config);
            string wal = Path.Combine(dir, "wal");
            View = dotNext ? new DotNextRaftLog(new WriteAheadLog.Options { Location = wal }, Stack.Machine)
                : new RaftLog(wal, Stack.Machine, NullLogger.Instance);
            await View.InitializeAsync(CancellationToken.None);
        }

        public async Task RestartAsync()
        {
            await DisposeAsync();
            await OpenAsync();
        }

        public async Task CommitAndApplyAsync(long index)
        {
            await ((IAuditTrail)Trail).CommitAsync(index, CancellationToken.None);
            await View.WaitForApplyAsync(index, CancellationToken.None);
        }

        public async Task<byte[]> PayloadAsync(long index) => (await ReadAsync(index, index))[^1].Payload;

        public async Task<long> TermAsync(long index) => await Trail.ReadAsync(new TermReader(), index, index);

        public Task<List<Read>> ReadAsync(long from, long to) => Trail.ReadAsync(new Reader(), from, to).AsTask();

        public async ValueTask DisposeAsync()
        {
            await View.DisposeAsync();
            Stack.Dispose();
        }
    }

    /// <summary>One entry as read back: equal when term, flags and bytes are.</summary>
    private sealed record Read(long Term, bool IsSnapshot, bool IsConfiguration, byte[] Payload)
    {
        public bool Equals(Read? other) => other is not null && Term == other.Term && IsSnapshot == other.IsSnapshot
            && IsConfiguration == other.IsConfiguration && Payload.AsSpan().SequenceEqual(other.Payload);

        public override int GetHashCode() => HashCode.Combine(Term, IsSnapshot, Payload.Length);
    }

    private readonly struct Reader : ILogEntryConsumer<IRaftLogEntry, List<Read>>
    {
        public async ValueTask<List<Read>> ReadAsync<TEntry, TList>(TList entries, long? snapshotIndex, CancellationToken token)
            where TEntry : IRaftLogEntry where TList : IReadOnlyList<TEntry>
        {
            var result = new List<Read>();
            foreach (TEntry entry in entries)
                result.Add(new Read(entry.Term, entry.IsSnapshot, entry.IsConfiguration, entry.IsSnapshot ? [] : await entry.ToByteArrayAsync(token: token)));
            return result;
        }
    }

    private readonly struct TermReader : ILogEntryConsumer<IRaftLogEntry, long>
    {
        public bool LogEntryMetadataOnly => true;

        public ValueTask<long> ReadAsync<TEntry, TList>(TList entries, long? snapshotIndex, CancellationToken token)
            where TEntry : IRaftLogEntry where TList : IReadOnlyList<TEntry> => ValueTask.FromResult(entries[0].Term);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
