using Etcdserverpb;
using Mvccpb;

namespace KvStore.Mvcc;

/// <summary>
/// etcd's ReadView (mvcc/kv.go): what a read transaction and a write transaction both offer, at the revision the
/// transaction sees. The applier evaluates a txn's compares and ranges on either.
/// </summary>
public interface IReadView
{
    /// <summary>The revision reads see (a write transaction's own changes once it made one).</summary>
    long ReadRev { get; }

    /// <summary>The revision of the last compaction (-1 when never compacted).</summary>
    long CompactRev { get; }

    /// <summary>etcd's Range in request shape: limit, sort, filters, count_only, keys_only, a past revision.</summary>
    MvccResult<RangeResponse> Range(RangeRequest request);

    /// <summary>The key-values live at <see cref="ReadRev"/> in [key, end) (one key when end is null), in key order.</summary>
    List<KeyValue> KeyValues(ReadOnlySpan<byte> key, byte[]? end);
}
