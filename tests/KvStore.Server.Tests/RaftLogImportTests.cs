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
/// A data dir written by DotNext's WriteAheadLog (kvstore before its own WAL) opens with <see cref="RaftLog"/> after
/// <see cref="DotNextLogImport"/>: the entries after the snapshot, committed or not, keep their index, term and bytes,
/// the commit index survives, the engine ends where it was, and the old files are gone (term and vote stay).
/// </summary>
public sealed class RaftLogImportTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kvstore-server-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task AnOldLogIsImportedOnceWithItsEntriesAndCommitIndex()
    {
        var config = new ServerConfig { SnapshotCount = 40, SnapshotCatchUpEntries = 0 };
        string wal = Path.Combine(_dir, "wal");
        var payloads = new List<byte[]>();
        long commit, last;
        List<string> state;
        using (var stack = new RaftStack(_dir, config))
        {
            var old = new DotNextRaftLog(new WriteAheadLog.Options { Location = wal, ChunkSize = DotNextLogImport.ChunkSize }, stack.Machine);
            await using (old)
            {
                IRaftLogView view = old;
                await view.InitializeAsync(CancellationToken.None);
                await view.AuditTrail.UpdateTermAsync(3, resetLastVote: true);
                for (int i = 0; i < 60; i++)
                {
                    payloads.Add(Batch(i));
                    await view.AuditTrail.AppendAsync(new BinaryLogEntry { Content = payloads[^1], Term = 3 });
                }
                await ((IAuditTrail)old).CommitAsync(55, CancellationToken.None);
                await view.WaitForApplyAsync(55, CancellationToken.None);
                for (int i = 0; i < 100 && stack.Machine.Snapshot is null; i++) await Task.Delay(50);
                Assert.NotNull(stack.Machine.Snapshot); // the old log dropped its pages up to it
                commit = view.LastCommittedEntryIndex;
                last = view.LastEntryIndex;
            }
            state = Dump(stack.Store);
        }

        using (var stack = new RaftStack(_dir, config))
        {
            Assert.True(DotNextLogImport.Needed(wal));
            await DotNextLogImport.RunAsync(wal, stack.Machine, NullLogger.Instance, CancellationToken.None);
            Assert.False(DotNextLogImport.Needed(wal));
            Assert.False(File.Exists(Path.Combine(wal, "checkpoint")));
            Assert.False(Directory.Exists(Path.Combine(wal, "metadata")));
            var log = new RaftLog(wal, stack.Machine, NullLogger.Instance);
            await using (log)
            {
                IRaftLogView view = log;
                await view.InitializeAsync(CancellationToken.None);
                Assert.Equal(3, view.AuditTrail.Term);
                Assert.Equal(last, view.LastEntryIndex);
                Assert.Equal(commit, view.LastCommittedEntryIndex);
                Assert.Equal(commit, view.LastAppliedIndex);
                long snapshot = stack.Machine.Snapshot!.Index;
                for (long i = snapshot + 1; i <= last; i++)
                {
                    var (term, payload) = await view.AuditTrail.ReadAsync(new Reader(), i, i);
                    Assert.Equal(3, term);
                    Assert.Equal(payloads[(int)i - 1], payload);
                }
                Assert.Equal(state, Dump(stack.Store));
            }
        }
    }

    private static byte[] Batch(int i)
    {
        var batch = new RaftBatch();
        batch.Requests.Add(new InternalRaftRequest { Put = new PutRequest { Key = ByteString.CopyFromUtf8("k" + i % 7), Value = ByteString.CopyFromUtf8("v" + i) } });
        return batch.ToByteArray();
    }

    private static List<string> Dump(MvccStore store) =>
        [.. store.Range(new RangeRequest { Key = ByteString.CopyFromUtf8("\0"), RangeEnd = ByteString.CopyFromUtf8("\0") }).Value.Kvs
            .Select(kv => $"{kv.Key.ToStringUtf8()}={kv.Value.ToStringUtf8()}@{kv.ModRevision}")];

    private readonly struct Reader : ILogEntryConsumer<IRaftLogEntry, (long, byte[])>
    {
        public async ValueTask<(long, byte[])> ReadAsync<TEntry, TList>(TList entries, long? snapshotIndex, CancellationToken token)
            where TEntry : IRaftLogEntry where TList : IReadOnlyList<TEntry> => (entries[0].Term, await entries[0].ToByteArrayAsync(token: token));
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
