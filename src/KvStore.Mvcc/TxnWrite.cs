using Etcdserverpb;
using Google.Protobuf;
using KvStore.Storage;
using Mvccpb;

namespace KvStore.Mvcc;

/// <summary>
/// etcd's TxnWrite (mvcc/kv.go): one write transaction of the engine, from <see cref="MvccStore.BeginWrite"/> to
/// <see cref="End"/>, under the engine's write lock. Every change gets main revision <see cref="Rev"/> and the next
/// sub revision; reads inside see the transaction's own changes. A command at or below the consistent index was
/// applied before a crash: <see cref="AlreadyApplied"/>, and nothing may be written (tested by DurabilityTests).
/// Disposed without <see cref="End"/> (an exception in the command, or an early return), it only releases the lock:
/// neither the revision nor the consistent index moves and no watcher hears of it, so a restart applies the command
/// again (DurabilityTests.ATransactionLeftByAnExceptionPublishesNothing).
/// </summary>
public sealed class TxnWrite : IReadView, IDisposable
{
    private readonly MvccStore _store;
    private readonly long _index;
    private readonly bool _ownsLock;
    private bool _ended;
    private bool _wrote; // a write was started: a transaction left without End may have changed the engine

    internal TxnWrite(MvccStore store, long beginRev, long index, bool ownsLock, bool alreadyApplied = false)
    {
        _store = store;
        BeginRev = beginRev;
        _index = index;
        _ownsLock = ownsLock;
        AlreadyApplied = alreadyApplied;
    }

    /// <summary>The revision before the transaction.</summary>
    public long BeginRev { get; }

    /// <summary>The revision of the transaction's changes.</summary>
    public long Rev => BeginRev + 1;

    /// <inheritdoc/>
    public long ReadRev => Changes.Count > 0 ? BeginRev + 1 : BeginRev;

    /// <inheritdoc/>
    public long CompactRev => _store.CompactRevision;

    /// <summary>The command's index was applied before (a replay after a crash): the transaction must not write.</summary>
    public bool AlreadyApplied { get; }

    /// <summary>The engine this transaction writes to.</summary>
    public MvccStore Store => _store;

    /// <summary>The transaction's changes so far, as watch events.</summary>
    internal List<Event> Changes { get; } = [];

    /// <summary>Bytes written so far (for the checkpoint's size trigger).</summary>
    internal long Bytes { get; set; }

    /// <summary>etcd's TxnWrite.Put: the key's next version at <see cref="Rev"/>. Returns the revision written.</summary>
    public long Put(ByteString key, ByteString value, long lease)
    {
        ThrowIfAlreadyApplied();
        _wrote = true;
        return _store.PutLocked(this, key.Span, key, value, lease);
    }

    /// <summary>etcd's TxnWrite.DeleteRange: every key live in [key, end) deleted at <see cref="Rev"/>; the number deleted.</summary>
    public long DeleteRange(ReadOnlySpan<byte> key, byte[]? end)
    {
        ThrowIfAlreadyApplied();
        _wrote = true;
        return _store.DeleteRangeLocked(this, key, end);
    }

    /// <summary>etcd's TxnRead.Range at <see cref="ReadRev"/>.</summary>
    public MvccResult<RangeResponse> Range(RangeRequest request) => _store.RangeLocked(request, ReadRev);

    /// <inheritdoc/>
    public List<KeyValue> KeyValues(ReadOnlySpan<byte> key, byte[]? end) => _store.KeyValuesLocked(key, end, ReadRev);

    /// <summary>etcd's lessor.Lookup as the applier asks it before attaching a key: the lease is granted.</summary>
    public bool LeaseExists(long lease) => _store.LeaseExistsLocked(lease);

    /// <summary>A record of a component that keeps its state in the engine (a lease, the auth store), in this transaction.</summary>
    public void PutRecord(Revision key, byte[] record)
    {
        ThrowIfAlreadyApplied();
        _wrote = true;
        _store.PutRecordLocked(key, record);
    }

    /// <summary>Deletes a component's record in this transaction.</summary>
    internal void DeleteRecord(Revision key)
    {
        ThrowIfAlreadyApplied();
        _wrote = true;
        _store.DeleteRecordLocked(key);
    }

    /// <summary>A write in a transaction of a command applied before is a bug of its caller: it would be applied twice.</summary>
    private void ThrowIfAlreadyApplied()
    {
        if (AlreadyApplied) throw new InvalidOperationException("the command at this index was applied before: its transaction must not write");
    }

    /// <summary>
    /// etcd's TxnWrite.End: moves the current revision and notifies watchers when anything changed, moves the consistent
    /// index to the command's and releases the write lock.
    /// </summary>
    public void End()
    {
        if (_ended) return;
        _ended = true;
        if (_ownsLock) _store.EndWrite(this, _index);
    }

    /// <summary>
    /// Releases the lock of a transaction not ended (<see cref="End"/> was not reached: an exception, or nothing to do):
    /// nothing is published, and the consistent index stays. One that had started to write leaves the store refusing
    /// writes and checkpoints until it is reopened (<see cref="MvccStore.AbandonWrite"/>).
    /// </summary>
    public void Dispose()
    {
        if (_ended) return;
        _ended = true;
        if (_ownsLock) _store.AbandonWrite(_wrote);
    }
}
