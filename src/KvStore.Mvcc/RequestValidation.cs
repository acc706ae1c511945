using Etcdserverpb;

namespace KvStore.Mvcc;

/// <summary>
/// The request checks etcd makes before proposing (v3rpc key.go): empty keys, ignore_value/ignore_lease
/// misuse, txn size, and keys put or deleted twice in one txn. Shared by the engine and the RPC edge.
/// </summary>
public static class RequestValidation
{
    /// <summary>
    /// No op on either branch, nested txns included, writes: the engine then skips etcd's checkRequestPut pass.
    /// Not etcd's isTxnReadonly (EtcdServer.HasRangesOnly), for which a nested txn is never read-only.
    /// </summary>
    public static bool HasNoWrites(TxnRequest r) =>
        r.Success.Concat(r.Failure).All(op => op.RequestCase switch
        {
            RequestOp.RequestOneofCase.RequestRange => true,
            RequestOp.RequestOneofCase.RequestTxn => HasNoWrites(op.RequestTxn),
            _ => false,
        });

    public static MvccError CheckRange(RangeRequest r) => r.Key.IsEmpty ? MvccError.EmptyKey : MvccError.None;

    public static MvccError CheckPut(PutRequest r)
    {
        if (r.Key.IsEmpty) return MvccError.EmptyKey;
        if (r.IgnoreValue && !r.Value.IsEmpty) return MvccError.ValueProvided;
        if (r.IgnoreLease && r.Lease != 0) return MvccError.LeaseProvided;
        return MvccError.None;
    }

    public static MvccError CheckDelete(DeleteRangeRequest r) => r.Key.IsEmpty ? MvccError.EmptyKey : MvccError.None;

    /// <summary>etcd's checkTxnRequest then checkIntervals on both branches.</summary>
    public static MvccError CheckTxn(TxnRequest r, int maxTxnOps)
    {
        MvccError e = CheckTxnOps(r, maxTxnOps);
        if (e != MvccError.None) return e;
        if (!CheckIntervals(r.Success, out _, out _)) return MvccError.DuplicateKey;
        if (!CheckIntervals(r.Failure, out _, out _)) return MvccError.DuplicateKey;
        return MvccError.None;
    }

    private static MvccError CheckTxnOps(TxnRequest r, int maxTxnOps)
    {
        int opc = Math.Max(r.Compare.Count, Math.Max(r.Success.Count, r.Failure.Count));
        if (opc > maxTxnOps) return MvccError.TooManyOps;
        foreach (Compare c in r.Compare)
        {
            if (c.Key.IsEmpty) return MvccError.EmptyKey;
        }
        foreach (RequestOp op in r.Success.Concat(r.Failure))
        {
            MvccError e = op.RequestCase switch
            {
                RequestOp.RequestOneofCase.RequestRange => CheckRange(op.RequestRange),
                RequestOp.RequestOneofCase.RequestPut => CheckPut(op.RequestPut),
                RequestOp.RequestOneofCase.RequestDeleteRange => CheckDelete(op.RequestDeleteRange),
                RequestOp.RequestOneofCase.RequestTxn => CheckTxnOps(op.RequestTxn, maxTxnOps - opc),
                _ => MvccError.KeyNotFound, // etcd answers an empty RequestOp with ErrGRPCKeyNotFound
            };
            if (e != MvccError.None) return e;
        }
        return MvccError.None;
    }

    private readonly record struct Interval(byte[] Start, byte[]? End)
    {
        // etcd's affine intervals: [start, end) for a range, the point start otherwise.
        public bool Contains(byte[] key) => End is null
            ? key.AsSpan().SequenceEqual(Start)
            : key.AsSpan().SequenceCompareTo(Start) >= 0 && key.AsSpan().SequenceCompareTo(End) < 0;
    }

    /// <summary>etcd's checkIntervals: false when one key is put twice, or put and deleted, in one branch.</summary>
    private static bool CheckIntervals(IEnumerable<RequestOp> reqs, out HashSet<byte[]> puts, out List<Interval> dels)
    {
        puts = new HashSet<byte[]>(ByteArrayComparer.Instance);
        dels = [];
        var ops = reqs as IList<RequestOp> ?? reqs.ToList();
        foreach (RequestOp op in ops)
        {
            if (op.RequestCase != RequestOp.RequestOneofCase.RequestDeleteRange) continue;
            DeleteRangeRequest d = op.RequestDeleteRange;
            dels.Add(new Interval(d.Key.ToByteArray(), d.RangeEnd.IsEmpty ? null : d.RangeEnd.ToByteArray()));
        }
        foreach (RequestOp op in ops)
        {
            if (op.RequestCase != RequestOp.RequestOneofCase.RequestTxn) continue;
            if (!CheckIntervals(op.RequestTxn.Success, out var putsThen, out var delsThen)) return false;
            if (!CheckIntervals(op.RequestTxn.Failure, out var putsElse, out var delsElse)) return false;
            foreach (byte[] k in putsThen)
            {
                if (puts.Contains(k) || dels.Any(iv => iv.Contains(k))) return false;
                puts.Add(k);
            }
            foreach (byte[] k in putsElse)
            {
                if (puts.Contains(k) && !putsThen.Contains(k)) return false;
                if (dels.Any(iv => iv.Contains(k))) return false;
                puts.Add(k);
            }
            dels.AddRange(delsThen);
            dels.AddRange(delsElse);
        }
        foreach (RequestOp op in ops)
        {
            if (op.RequestCase != RequestOp.RequestOneofCase.RequestPut) continue;
            byte[] k = op.RequestPut.Key.ToByteArray();
            if (puts.Contains(k) || dels.Any(iv => iv.Contains(k))) return false;
            puts.Add(k);
        }
        return true;
    }
}
