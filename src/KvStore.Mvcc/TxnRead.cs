using Etcdserverpb;
using Mvccpb;

namespace KvStore.Mvcc;

/// <summary>
/// etcd's TxnRead (mvcc/kv.go): reads at one revision under the engine's read lock, from
/// <see cref="MvccStore.BeginRead"/> to <see cref="End"/>; writers wait until it ends. Tested by TxnReadTests.
/// </summary>
public sealed class TxnRead : IReadView, IDisposable
{
    private readonly MvccStore _store;
    private bool _ended;

    internal TxnRead(MvccStore store, long rev)
    {
        _store = store;
        ReadRev = rev;
    }

    /// <inheritdoc/>
    public long ReadRev { get; }

    /// <inheritdoc/>
    public long CompactRev => _store.CompactRevision;

    /// <inheritdoc/>
    public MvccResult<RangeResponse> Range(RangeRequest request) => _store.RangeLocked(request, ReadRev);

    /// <inheritdoc/>
    public List<KeyValue> KeyValues(ReadOnlySpan<byte> key, byte[]? end) => _store.KeyValuesLocked(key, end, ReadRev);

    /// <summary>etcd's TxnRead.End: releases the read lock.</summary>
    public void End()
    {
        if (_ended) return;
        _ended = true;
        _store.EndRead();
    }

    /// <summary>Ends the transaction (<see cref="End"/>).</summary>
    public void Dispose() => End();
}
