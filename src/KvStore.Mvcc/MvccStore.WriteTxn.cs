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
        ThrowIfAbandoned();
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

    /// <summary>
    /// Releases the lock of a transaction left without its End: its changes are not published and the consistent index
    /// stays. When it had started to write (<paramref name="wrote"/>: an exception in the command), the changes are in
    /// the engine and the index all the same, so the store takes no more writes and makes no more checkpoints (a clean
    /// close included): reopened, it recovers from its last checkpoint and the log applies the command again, as etcd's
    /// backend after a panic in apply.
    /// </summary>
    internal void AbandonWrite(bool wrote)
    {
        if (wrote) _abandoned = true;
        _lock.ExitWriteLock();
    }

    private void ThrowIfAbandoned()
    {
        if (_abandoned) throw Abandoned();
    }

    private static InvalidOperationException Abandoned() =>
        new("a write transaction was left by a failed command: the store takes no more writes and checkpoints until it is reopened");

    /// <summary>
    /// Runs one command under the write lock: skipped when <paramref name="index"/> is at or below the
    /// consistent index (a replay after a crash), else applied and the consistent index moved to it.
    /// Index 0 means "not from a log": always applied, consistent index unchanged. A command that throws leaves the
    /// store as an abandoned transaction does (<see cref="AbandonWrite"/>).
    /// </summary>
    private MvccResult<T> Write<T>(long index, Func<MvccResult<T>> apply) where T : class
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfAbandoned();
        _lock.EnterWriteLock();
        try
        {
            if (IsAppliedLocked(index)) return MvccError.AlreadyApplied;
            MvccResult<T> result;
            try
            {
                result = apply();
            }
            catch
            {
                _abandoned = true;
                throw;
            }
            EndCommandLocked(index);
            return result;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Moves the consistent index for a command applied outside the engine (alarms, refused commands, a Raft
    /// entry without commands). False if it was already applied. Tested by DurabilityTests.MarkApplied_MovesTheConsistentIndex.
    /// </summary>
    public bool MarkApplied(long index)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfAbandoned();
        _lock.EnterWriteLock();
        try
        {
            if (IsAppliedLocked(index)) return false;
            EndCommandLocked(index);
            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>A command at or below the consistent index was applied before a crash: it is skipped on replay.</summary>
    private bool IsAppliedLocked(long index) => index > 0 && index <= _consistentIndex;

    private void EndCommandLocked(long index)
    {
        if (index > 0)
        {
            Volatile.Write(ref _consistentIndex, index);
            MarkDirty(0); // the consistent index alone is state the next checkpoint must carry
        }
        MaybeCheckpointLocked();
    }

    /// <summary>A write transaction inside a command that already holds the write lock.</summary>
    private TxnWrite NestedWrite() => new(this, _currentRev, index: 0, ownsLock: false);

    /// <summary>The lease is granted (the applier asks before a put attaches a key to it). Caller holds the write lock.</summary>
    internal bool LeaseExistsLocked(long lease) => _lessor.Exists(lease);

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
