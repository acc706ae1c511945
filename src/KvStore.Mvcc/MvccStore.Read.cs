using System.Runtime.InteropServices;
using Etcdserverpb;
using KvStore.Mvcc.Index;
using KvStore.Storage;
using Mvccpb;

namespace KvStore.Mvcc;

public sealed partial class MvccStore
{
    /// <summary>Starts a read transaction at the current revision and holds the read lock until its <see cref="TxnRead.End"/>.</summary>
    public TxnRead BeginRead()
    {
        _lock.EnterReadLock();
        return new TxnRead(this, _currentRev);
    }

    internal void EndRead() => _lock.ExitReadLock();

    /// <summary>
    /// etcd's kv.Range: a read transaction at the current revision for one range. One key or [key, range_end), at the
    /// current or a past revision, with limit, sort, keys_only, count_only and the min/max mod/create revision filters.
    /// </summary>
    public MvccResult<RangeResponse> Range(RangeRequest request)
    {
        using TxnRead tx = BeginRead();
        return tx.Range(request);
    }

    /// <summary>Range over the view at <paramref name="curRev"/> (the current revision, or a txn's own view).</summary>
    internal MvccResult<RangeResponse> RangeLocked(RangeRequest r, long curRev)
    {
        if (r.Key.IsEmpty) return MvccError.EmptyKey;
        long limit = r.Limit;
        if (r.SortOrder != RangeRequest.Types.SortOrder.None || r.MinModRevision != 0 || r.MaxModRevision != 0 ||
            r.MinCreateRevision != 0 || r.MaxCreateRevision != 0)
        {
            limit = 0; // filters and sorting need every key; the limit is applied afterwards
        }
        if (limit > 0) limit++; // one more than asked tells whether there are more

        MvccError error = RangeKeys(r.Key.Span, KeyRanges.End(r.RangeEnd.Span), r.Revision, limit, r.CountOnly, curRev,
            out List<KeyValue> kvs, out int count);
        if (error != MvccError.None) return error;

        if (r.MaxModRevision != 0) kvs.RemoveAll(kv => kv.ModRevision > r.MaxModRevision);
        if (r.MinModRevision != 0) kvs.RemoveAll(kv => kv.ModRevision < r.MinModRevision);
        if (r.MaxCreateRevision != 0) kvs.RemoveAll(kv => kv.CreateRevision > r.MaxCreateRevision);
        if (r.MinCreateRevision != 0) kvs.RemoveAll(kv => kv.CreateRevision < r.MinCreateRevision);

        var order = r.SortOrder;
        if (r.SortTarget != RangeRequest.Types.SortTarget.Key && order == RangeRequest.Types.SortOrder.None)
        {
            order = RangeRequest.Types.SortOrder.Ascend; // etcd sorts ascending when only a target is given
        }
        if (order != RangeRequest.Types.SortOrder.None) kvs = Sort(kvs, r.SortTarget, order);

        var resp = new RangeResponse { Header = new ResponseHeader { Revision = curRev }, Count = count };
        if (r.Limit > 0 && kvs.Count > r.Limit)
        {
            kvs.RemoveRange((int)r.Limit, kvs.Count - (int)r.Limit);
            resp.More = true;
        }
        if (r.KeysOnly)
        {
            foreach (KeyValue kv in kvs) kv.Value = Google.Protobuf.ByteString.Empty;
        }
        resp.Kvs.AddRange(kvs);
        return resp;
    }

    /// <summary>Stable sort (ties keep key order, as etcd's sort does on the small sets it is tested with).</summary>
    private static List<KeyValue> Sort(List<KeyValue> kvs, RangeRequest.Types.SortTarget target, RangeRequest.Types.SortOrder order)
    {
        Func<KeyValue, KeyValue, int> cmp = target switch
        {
            RangeRequest.Types.SortTarget.Version => static (a, b) => a.Version.CompareTo(b.Version),
            RangeRequest.Types.SortTarget.Create => static (a, b) => a.CreateRevision.CompareTo(b.CreateRevision),
            RangeRequest.Types.SortTarget.Mod => static (a, b) => a.ModRevision.CompareTo(b.ModRevision),
            RangeRequest.Types.SortTarget.Value => static (a, b) => a.Value.Span.SequenceCompareTo(b.Value.Span),
            _ => static (a, b) => a.Key.Span.SequenceCompareTo(b.Key.Span),
        };
        var comparer = Comparer<KeyValue>.Create((a, b) => cmp(a, b));
        return order == RangeRequest.Types.SortOrder.Descend
            ? kvs.OrderByDescending(kv => kv, comparer).ToList()
            : kvs.OrderBy(kv => kv, comparer).ToList();
    }

    /// <summary>
    /// etcd's rangeKeys: the key-values visible at <paramref name="atRev"/> (0: curRev) in the range, at most
    /// <paramref name="limit"/> of them (0: all), and how many there are in all.
    /// </summary>
    private MvccError RangeKeys(ReadOnlySpan<byte> key, byte[]? end, long atRev, long limit, bool countOnly, long curRev,
        out List<KeyValue> kvs, out int count)
    {
        kvs = [];
        count = 0;
        if (atRev > curRev) return MvccError.FutureRevision;
        if (atRev <= 0) atRev = curRev;
        if (atRev < _compactRev) return MvccError.Compacted;

        List<Revision> revs = CollectVisible(key, end, atRev);
        count = revs.Count;
        if (countOnly || count == 0) return MvccError.None;
        int n = limit <= 0 || limit > count ? count : (int)limit;
        kvs.Capacity = n;
        ReadKeyValues(revs, n, kvs);
        return MvccError.None;
    }

    /// <summary>The revision visible at atRev of each key in the range, in key order.</summary>
    private List<Revision> CollectVisible(ReadOnlySpan<byte> key, byte[]? end, long atRev)
    {
        var revs = new List<Revision>();
        if (end is null)
        {
            KeyIndex? ki = _index.Get(key);
            if (ki is not null && ki.TryGet(atRev, out Revision mod, out _, out _)) revs.Add(mod);
            return revs;
        }
        foreach (KeyIndex ki in _index.Scan(key.ToArray(), end))
        {
            if (ki.TryGet(atRev, out Revision mod, out _, out _)) revs.Add(mod);
        }
        return revs;
    }

    /// <summary>The key-values visible at atRev in the range, in key order.</summary>
    internal List<KeyValue> KeyValuesLocked(ReadOnlySpan<byte> key, byte[]? end, long atRev)
    {
        List<Revision> revs = CollectVisible(key, end, atRev);
        var kvs = new List<KeyValue>(revs.Count);
        ReadKeyValues(revs, revs.Count, kvs);
        return kvs;
    }

    /// <summary>Live keys (as the index's own arrays) visible at atRev in the range, in key order.</summary>
    private List<KeyIndex> CollectVisibleKeys(ReadOnlySpan<byte> key, byte[]? end, long atRev)
    {
        var keys = new List<KeyIndex>();
        if (end is null)
        {
            KeyIndex? ki = _index.Get(key);
            if (ki is not null && ki.TryGet(atRev, out _, out _, out _)) keys.Add(ki);
            return keys;
        }
        foreach (KeyIndex ki in _index.Scan(key.ToArray(), end))
        {
            if (ki.TryGet(atRev, out _, out _, out _)) keys.Add(ki);
        }
        return keys;
    }

    /// <summary>Records read per batch: their reads overlap; the batch bounds the records held beside the answer.</summary>
    private const int ReadBatch = 1024;

    /// <summary>Most bytes of log a pass may read per record asked for (a record read alone from disk costs about as much).</summary>
    private const long ScanBytesPerRecord = 4096;

    /// <summary>
    /// Appends the key-values at revs[0..n) to kvs in order, many records per store read; each key-value wraps its
    /// record's bytes, so the answer holds one copy of the values. (OnDiskRangeTests)
    /// </summary>
    private void ReadKeyValues(List<Revision> revs, int n, List<KeyValue> kvs)
    {
        if (n == 1)
        {
            kvs.Add(ReadKeyValue(revs[0]));
            return;
        }
        if (ScansTheLog(n))
        {
            ReadKeyValuesByScan(revs, n, kvs);
            return;
        }
        var records = new byte[]?[Math.Min(n, ReadBatch)];
        for (int start = 0; start < n; start += records.Length)
        {
            ReadOnlySpan<Revision> batch = CollectionsMarshal.AsSpan(revs).Slice(start, Math.Min(records.Length, n - start));
            _records.ReadMany(batch, records);
            for (int i = 0; i < batch.Length; i++)
            {
                kvs.Add(Found(records[i], batch[i]));
                records[i] = null;
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="n"/> records are read faster by one pass over the log: many of them, a log not much larger
    /// than they are, and a fair part of it only on disk, where each record read alone is a disk read of its own.
    /// Measured with tools/bigrange-vs-etcd.sh (docs/performance.md, "Large ranges").
    /// </summary>
    private bool ScansTheLog(int n)
    {
        long log = _records.LogSizeBytes;
        return n >= Options.RangeScanAtLeast && log <= n * ScanBytesPerRecord && _records.OnDiskBytes >= log / 4;
    }

    /// <summary>The key-values at revs[0..n) by one pass over the log (<see cref="RecordStore.ReadManyByScan"/>).</summary>
    private void ReadKeyValuesByScan(List<Revision> revs, int n, List<KeyValue> kvs)
    {
        var records = new ReadOnlyMemory<byte>[n];
        // a log compaction step could move a record past the pass
        using (_logCompactionGate.EnterScope()) _records.ReadManyByScan(CollectionsMarshal.AsSpan(revs)[..n], records);
        for (int i = 0; i < n; i++)
        {
            kvs.Add(Found(records[i], revs[i]));
        }
    }

    private KeyValue ReadKeyValue(Revision rev) => Found(_records.Read(rev), rev);

    /// <summary>The key-value of the record read at <paramref name="rev"/>; none there (empty: a record never is) is a bug.</summary>
    private static KeyValue Found(ReadOnlyMemory<byte> record, Revision rev) =>
        record.IsEmpty ? throw new InvalidOperationException($"record {rev} missing from storage") : KeyValueView.Decode(record, out _);
}
