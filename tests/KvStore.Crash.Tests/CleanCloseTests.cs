using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;
using KvStore.Server.Apply;

namespace KvStore.Crash.Tests;

/// <summary>
/// A clean close persists everything applied, with the consistent index, so a restart replays nothing
/// (etcd's backend commits its last batch with the consistent index when the server stops).
/// </summary>
public sealed class CleanCloseTests
{
    private static PutRequest Put(string key, string value, long lease = 0) =>
        new() { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value), Lease = lease };

    /// <summary>A lessor command in one write transaction at <paramref name="index"/>, as the member's applier runs it.</summary>
    private static MvccResult<T> InTxn<T>(MvccStore store, long index, Func<TxnWrite, MvccResult<T>> command) where T : class
    {
        using TxnWrite tx = store.BeginWrite(index);
        MvccResult<T> result = command(tx);
        tx.End();
        return result;
    }

    [Fact]
    public async Task CommandsWithoutNewKeyValueRecordsSurviveACleanClose()
    {
        using var dir = new TempDir();
        using (var store = MvccStore.Open(dir.Path))
        {
            Assert.True(KvApplier.Put(store, Put("a", "1"), index: 1).Ok);
            Assert.True(KvApplier.Put(store, Put("a", "2"), index: 2).Ok);
            Assert.True(InTxn(store, 3, tx => store.Lessor.Grant(tx, new LeaseGrantRequest { ID = 7, TTL = 60 }, 0)).Ok);
            await store.CheckpointAsync();

            // After the checkpoint only commands that write no key-value record.
            Assert.True(InTxn(store, 4, tx => store.Lessor.Grant(tx, new LeaseGrantRequest { ID = 8, TTL = 60 }, 0)).Ok);
            Assert.True(InTxn(store, 5, tx => store.Lessor.Revoke(tx, 7)).Ok);
            Assert.True(store.Compact(3, index: 6).Ok);
            Assert.Equal(MvccError.LeaseNotFound, InTxn(store, 7, tx => store.Lessor.Revoke(tx, 99)).Error);
        }

        using var reopened = MvccStore.Open(dir.Path);
        Assert.Equal(7, reopened.ConsistentIndex);
        Assert.Equal(3, reopened.CompactRevision);
        Assert.NotNull(reopened.Lessor.Lookup(8));
        Assert.Null(reopened.Lessor.Lookup(7));
        Assert.Equal(MvccError.Compacted, reopened.Range(new RangeRequest { Key = ByteString.CopyFromUtf8("a"), Revision = 2 }).Error);
    }
}
