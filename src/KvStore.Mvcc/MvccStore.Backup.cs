using Authpb;
using KvStore.Storage;

namespace KvStore.Mvcc;

/// <summary>
/// The engine's entry point for an etcd backend restored into a new store (<see cref="Backup.EtcdBackupReader"/>):
/// records are loaded as the backend holds them, then the in-memory state is rebuilt from them exactly as after a
/// restart (etcd's store.restore), and the store is checkpointed at consistent index 0: the member that opens it
/// starts a fresh Raft log whose entries all apply.
/// </summary>
public sealed partial class MvccStore
{
    /// <summary>A new, empty store in <see cref="MvccOptions.Directory"/>, which must not hold a store yet.</summary>
    internal static MvccStore CreateForBackup(MvccOptions options)
    {
        string engineDir = options.StorageOrDefault().Directory;
        if (System.IO.Directory.Exists(engineDir) && System.IO.Directory.EnumerateFileSystemEntries(engineDir).Any())
        {
            throw new IOException($"cannot restore a backup into '{engineDir}': it already holds a store");
        }
        return new MvccStore(options);
    }

    /// <summary>One revision of the key bucket: etcd's mvccpb.KeyValue bytes, a tombstone when the revision key ends in 't'.</summary>
    internal void LoadHistoryRecord(Revision revision, bool tombstone, ReadOnlySpan<byte> keyValue)
    {
        var record = new byte[keyValue.Length + 1];
        record[0] = tombstone ? RecordCodec.KindTombstone : RecordCodec.KindPut;
        keyValue.CopyTo(record.AsSpan(1));
        _records.Upsert(revision, record);
    }

    /// <summary>One lease of the lease bucket (leasepb.Lease: id, TTL, remaining TTL).</summary>
    internal void LoadLease(Leasepb.Lease lease) =>
        _records.Upsert(RecordCodec.LeaseKey(lease.ID), Google.Protobuf.MessageExtensions.ToByteArray(lease));

    /// <summary>The auth record (<see cref="Auth.AuthRecord"/>) of the auth, authUsers and authRoles buckets.</summary>
    internal void LoadAuth(bool enabled, ulong revision, IEnumerable<User> users, IEnumerable<Role> roles)
    {
        var record = new Auth.AuthRecord(enabled, revision,
            users.OrderBy(u => u.Name.ToStringUtf8(), StringComparer.Ordinal).ToList(),
            roles.OrderBy(r => r.Name.ToStringUtf8(), StringComparer.Ordinal).ToList());
        _records.Upsert(Auth.AuthRecord.Key, record.Encode());
    }

    /// <summary>
    /// Ends a load: records the compaction (its revision and how many sub revisions it had), rebuilds the key
    /// index and leases from the records (the auth record is its owner's), and checkpoints.
    /// </summary>
    internal async Task FinishBackupLoadAsync(long compactRevision, long compactSubCount)
    {
        _lock.EnterWriteLock();
        try
        {
            _records.Upsert(RecordCodec.MetaKey, RecordCodec.EncodeMeta(compactRevision, compactSubCount, finishedCompactRev: -1));
            _index.Clear();
            _lessor.Reset();
            _currentRev = 1;
            RebuildFromRecords();
            _bytesSinceCheckpoint = 1;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
        await CheckpointAsync().ConfigureAwait(false);
    }
}
