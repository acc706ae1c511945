using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;
using KvStore.Server.Access;
using KvStore.Server.Apply;
using Kvstorepb;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Server.Tests;

/// <summary>
/// RaftStateMachine's apply core on a real engine: the same entries given as <see cref="RaftEntry"/> values (a log
/// that is not DotNext's) and through DotNext's log and the IStateMachine adapter leave the same keys, revisions and
/// consistent index; a context whose bytes differ from the payload is not trusted. And the log seen through
/// <see cref="IRaftLogView"/> reads what the cluster reads: the commit the follower rule clamped, on DotNext's log and ours.
/// </summary>
public sealed class RaftStateMachineCoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kvstore-server-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task TheCoreAppliesRaftEntriesAsTheDotNextAdapterDoes()
    {
        using var core = new RaftStack(Path.Combine(_dir, "core"));
        using var adapter = new RaftStack(Path.Combine(_dir, "adapter"));
        RaftBatch[] batches = [Batch(Put("a", "1"), Put("b", "2")), Batch(Put("a", "3")), Batch(Delete("b"), Put("c", "4"))];

        for (int i = 0; i < batches.Length; i++)
        {
            byte[] content = batches[i].ToByteArray();
            // entry 2 carries a context made from other bytes: the payload, not the context, is applied
            object context = i == 1 ? new ProposedBatch(Batch(Put("a", "wrong")), Batch(Put("a", "wrong")).ToByteArray())
                : new ProposedBatch(batches[i], content);
            long applied = await core.Machine.ApplyAsync(new RaftEntry(i + 1, 1, false, context, content), CancellationToken.None);
            Assert.Equal(i + 1, applied);
        }

        await using (var log = new DotNextRaftLog(new WriteAheadLog.Options { Location = Path.Combine(_dir, "adapter-wal") }, adapter.Machine))
        {
            await ((IRaftLogView)log).InitializeAsync(CancellationToken.None);
            var trail = (IAuditTrail<IRaftLogEntry>)log;
            foreach (RaftBatch batch in batches) await trail.AppendAsync(new BinaryLogEntry { Content = batch.ToByteArray(), Term = 1 });
            await ((IAuditTrail)log).CommitAsync(batches.Length, CancellationToken.None);
            await ((IRaftLogView)log).WaitForApplyAsync(batches.Length, CancellationToken.None);
        }

        Assert.Equal(Dump(adapter.Store), Dump(core.Store));
        Assert.Equal(adapter.Store.ConsistentIndex, core.Store.ConsistentIndex);
        Assert.Equal(["a=3@4", "c=4@6"], Dump(core.Store)); // revision 1 is the empty store
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TheViewSeesTheCommitTheClusterClamped(bool ourLog)
    {
        using var stack = new RaftStack(Path.Combine(_dir, "view"));
        string wal = Path.Combine(_dir, "view-wal");
        IRaftLogView view = ourLog ? new RaftLog(wal, stack.Machine, NullLogger.Instance)
            : new DotNextRaftLog(new WriteAheadLog.Options { Location = wal }, stack.Machine);
        await using (view)
        {
            var clamped = new List<(long, long)>();
            view.Clamped = (asked, limit) => clamped.Add((asked, limit));
            await view.InitializeAsync(CancellationToken.None);
            var trail = (IAuditTrail<IRaftLogEntry>)view.AuditTrail;
            BinaryLogEntry Entry(string key) => new() { Content = Batch(Put(key, "v")).ToByteArray(), Term = 1 };
            await trail.AppendAsync(new LogEntryProducer<BinaryLogEntry>(Entry("a"), Entry("b"), Entry("c")), 1, skipCommitted: true);
            // a later AppendEntries (a heartbeat after entry 2) carries the leader's commit 3 and no entry: commit = min(3, 2),
            // Raft's AppendEntries rule 5
            await trail.AppendAsync(new LogEntryProducer<BinaryLogEntry>(), 3, skipCommitted: true);
            await ((IAuditTrail)view.AuditTrail).CommitAsync(3, CancellationToken.None);

            Assert.Equal(3, view.LastEntryIndex);
            Assert.Equal(2, view.LastCommittedEntryIndex);
            Assert.Equal([(3L, 2L)], clamped);
            await view.WaitForApplyAsync(2, CancellationToken.None);
            Assert.Equal(2, view.LastAppliedIndex);

            view.OnBecameLeader(); // the limit is lifted
            await ((IAuditTrail)view.AuditTrail).CommitAsync(3, CancellationToken.None);
            Assert.Equal(3, view.LastCommittedEntryIndex);
        }
    }

    private static List<string> Dump(MvccStore store) =>
        [.. store.Range(new RangeRequest { Key = ByteString.CopyFromUtf8("\0"), RangeEnd = ByteString.CopyFromUtf8("\0") }).Value.Kvs
            .Select(kv => $"{kv.Key.ToStringUtf8()}={kv.Value.ToStringUtf8()}@{kv.ModRevision}")];

    private static RaftBatch Batch(params InternalRaftRequest[] requests)
    {
        var batch = new RaftBatch();
        batch.Requests.AddRange(requests);
        return batch;
    }

    private static InternalRaftRequest Put(string key, string value) =>
        new() { Put = new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) } };

    private static InternalRaftRequest Delete(string key) =>
        new() { DeleteRange = new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(key) } };

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
