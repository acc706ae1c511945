using Google.Protobuf;
using KvStore.Mvcc.Index;
using KvStore.Storage;
using Mvccpb;

namespace KvStore.Mvcc;

public sealed partial class MvccStore
{
    /// <summary>
    /// Starts a write transaction for the command at <paramref name="index"/> (0: not from a log) and holds the write
    /// lock until its <see cref="TxnWrite.End"/>.
    /// </summary>
    public TxnWrite BeginWrite(long index)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _lock.EnterWriteLock();
        return new TxnWrite(this, _currentRev, index, ownsLock: true, alreadyApplied: IsAppliedLocked(index));
    }

    /// <summary>Ends a transaction begun by <see cref="BeginWrite"/>: its changes, the consistent index, the lock.</summary>
    internal void EndWrite(TxnWrite tx, long index)
    {
        try
        {
            if (!tx.AlreadyApplied)
            {
                EndLocked(tx);
                EndCommandLocked(index);
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>A write transaction inside a command that already holds the write lock.</summary>
    private TxnWrite NestedWrite() => new(this, _currentRev, index: 0, ownsLock: false);

    internal void PutRecordLocked(Revision key, byte[] record)
    {
        _records.Upsert(key, record);
        MarkDirty(record.Length);
    }

    internal void DeleteRecordLocked(Revision key)
    {
        _records.Delete(key);
        MarkDirty(Revision.EncodedSize);
    }

    /// <summary>etcd's storeTxnWrite.put. Caller holds the write lock. Returns the revision written.</summary>
    internal long PutLocked(TxnWrite tx, ReadOnlySpan<byte> keySpan, ByteString key, ByteString value, long leaseId)
    {
        long rev = tx.Rev;
        long created = rev, version = 1;
        bool existed = false;
        KeyIndex ki = _index.GetOrAdd(keySpan);
        if (ki.TryGet(rev, out _, out Revision c, out long v))
        {
            created = c.Main;
            version = v + 1;
            existed = true;
        }
        var at = new Revision(rev, tx.Changes.Count);
        var kv = new KeyValue
        {
            Key = key, Value = value, CreateRevision = created, ModRevision = rev, Version = version, Lease = leaseId,
        };
        tx.Bytes += RecordCodec.WriteKeyValue(_records, at, kv, tombstone: false);
        ki.Put(at);
        tx.Changes.Add(new Event { Type = Event.Types.EventType.Put, Kv = kv });
        if (existed) _lessor.Detach(ki.Key);
        if (leaseId != 0) _lessor.Attach(leaseId, ki.Key);
        return rev;
    }

    /// <summary>etcd's storeTxnWrite.deleteRange. Caller holds the write lock. Returns the number deleted.</summary>
    internal long DeleteRangeLocked(TxnWrite tx, ReadOnlySpan<byte> key, byte[]? end)
    {
        List<KeyIndex> keys = CollectVisibleKeys(key, end, tx.ReadRev);
        foreach (KeyIndex ki in keys) DeleteLocked(tx, ki);
        return keys.Count;
    }

    private void DeleteLocked(TxnWrite tx, KeyIndex ki)
    {
        var at = new Revision(tx.Rev, tx.Changes.Count);
        var kv = new KeyValue { Key = UnsafeByteOperations.UnsafeWrap(ki.Key) };
        tx.Bytes += RecordCodec.WriteKeyValue(_records, at, kv, tombstone: true);
        ki.Tombstone(at);
        // The event carries the deletion's revision (etcd sets ModRevision on DELETE events).
        tx.Changes.Add(new Event
        {
            Type = Event.Types.EventType.Delete,
            Kv = new KeyValue { Key = kv.Key, ModRevision = tx.Rev },
        });
        _lessor.Detach(ki.Key);
    }

    /// <summary>Ends a write transaction: moves the current revision and notifies watchers. Caller holds the write lock.</summary>
    private void EndLocked(TxnWrite tx)
    {
        if (tx.Changes.Count == 0) return;
        Volatile.Write(ref _currentRev, tx.Rev);
        _bytesSinceCheckpoint += tx.Bytes;
        _watchers.Notify(tx.Rev, tx.Changes);
    }
}
