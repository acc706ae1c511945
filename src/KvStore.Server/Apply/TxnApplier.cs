using Etcdserverpb;
using KvStore.Mvcc;

namespace KvStore.Server.Apply;

/// <summary>
/// etcd's applierV3backend.Txn (etcdserver/apply.go): the request checks, the compares (<see cref="TxnCompare"/>),
/// etcd's checkRequests along the chosen branches, then the ops, nested txns too, at one revision. A txn with ranges
/// only runs in a read transaction (etcd's Read() for a read-only txn). Tested by TxnTests.
/// </summary>
public static class TxnApplier
{
    /// <summary>etcd's Txn as the command at <paramref name="index"/> (0: not from a log).</summary>
    public static MvccResult<TxnResponse> Txn(MvccStore store, TxnRequest request, long index = 0)
    {
        using TxnWrite tx = store.BeginWrite(index);
        MvccResult<TxnResponse> result = tx.AlreadyApplied ? MvccError.AlreadyApplied : Txn(tx, request, store.Options.MaxTxnOps);
        tx.End();
        return result;
    }

    /// <summary>A txn whose ops are all ranges (etcd's isTxnReadonly), served locally in a read transaction.</summary>
    public static MvccResult<TxnResponse> ReadTxn(MvccStore store, TxnRequest request)
    {
        using TxnRead tx = store.BeginRead();
        return Txn(tx, request, store.Options.MaxTxnOps);
    }

    /// <summary>
    /// The txn on <paramref name="view"/>: a <see cref="TxnWrite"/>, or a <see cref="TxnRead"/> when no op on either
    /// branch writes. Nothing is written unless every check passes.
    /// </summary>
    private static MvccResult<TxnResponse> Txn(IReadView view, TxnRequest rt, int maxTxnOps)
    {
        MvccError invalid = RequestValidation.CheckTxn(rt, maxTxnOps);
        if (invalid != MvccError.None) return invalid;

        List<bool> path = TxnCompare.ToPath(view, rt);
        int pos = 0;
        MvccError e = RequestValidation.HasNoWrites(rt) ? MvccError.None : CheckOps(view, rt, path, ref pos, checkPut: true, []);
        if (e != MvccError.None) return e;
        pos = 0;
        e = CheckOps(view, rt, path, ref pos, checkPut: false, []);
        if (e != MvccError.None) return e;

        var resp = new TxnResponse { Header = new ResponseHeader() };
        pos = 0;
        ApplyTxn(view, rt, path, ref pos, resp);
        resp.Header.Revision = view.ReadRev;
        return resp;
    }

    /// <summary>etcd's checkRequests with checkRequestPut or checkRequestRange, along the chosen branches.</summary>
    private static MvccError CheckOps(IReadView view, TxnRequest rt, List<bool> path, ref int pos, bool checkPut,
        List<(byte[] Start, byte[]? End)> deletedBefore)
    {
        bool success = path[pos++];
        foreach (RequestOp op in success ? rt.Success : rt.Failure)
        {
            MvccError e = op.RequestCase switch
            {
                RequestOp.RequestOneofCase.RequestTxn => CheckOps(view, op.RequestTxn, path, ref pos, checkPut, deletedBefore),
                RequestOp.RequestOneofCase.RequestDeleteRange when checkPut => Deleted(op.RequestDeleteRange, deletedBefore),
                RequestOp.RequestOneofCase.RequestPut when checkPut => CheckPut(Writer(view), op.RequestPut, deletedBefore),
                RequestOp.RequestOneofCase.RequestRange when !checkPut => CheckRange(view, op.RequestRange),
                _ => MvccError.None,
            };
            if (e != MvccError.None) return e;
        }
        return MvccError.None;
    }

    private static MvccError Deleted(DeleteRangeRequest d, List<(byte[] Start, byte[]? End)> deletedBefore)
    {
        deletedBefore.Add((d.Key.ToByteArray(), KeyRanges.End(d.RangeEnd.Span)));
        return MvccError.None;
    }

    /// <summary>etcd's checkRequestPut: ignore_value/ignore_lease need the key, a lease must exist.</summary>
    private static MvccError CheckPut(TxnWrite tx, PutRequest p, List<(byte[] Start, byte[]? End)> deletedBefore)
    {
        bool ignores = p.IgnoreValue || p.IgnoreLease;
        if (ignores && tx.KeyValues(p.Key.Span, null).Count == 0) return MvccError.KeyNotFound;
        // A from-key delete earlier in the txn slips past etcd's duplicate-key check (etcd then panics applying the
        // ignore_* put); it is refused here before anything is written. Tested by TxnTests.
        if (ignores && deletedBefore.Exists(d => KeyRanges.Contains(d.Start, d.End, p.Key.Span))) return MvccError.KeyNotFound;
        if (p.Lease != 0 && !tx.LeaseExists(p.Lease)) return MvccError.LeaseNotFound;
        return MvccError.None;
    }

    /// <summary>etcd's checkRequestRange: not a future revision, not a compacted one.</summary>
    private static MvccError CheckRange(IReadView view, RangeRequest r)
    {
        if (r.Revision > view.ReadRev) return MvccError.FutureRevision;
        if (r.Revision != 0 && r.Revision < view.CompactRev) return MvccError.Compacted;
        return MvccError.None;
    }

    /// <summary>etcd's applyTxn: the ops of the branch taken, in order, each seeing the ones before it.</summary>
    private static void ApplyTxn(IReadView view, TxnRequest rt, List<bool> path, ref int pos, TxnResponse resp)
    {
        bool success = path[pos++];
        resp.Succeeded = success;
        foreach (RequestOp op in success ? rt.Success : rt.Failure)
        {
            var r = new ResponseOp();
            switch (op.RequestCase)
            {
                case RequestOp.RequestOneofCase.RequestRange:
                    r.ResponseRange = view.Range(op.RequestRange).Value;
                    break;
                case RequestOp.RequestOneofCase.RequestPut:
                    r.ResponsePut = KvApplier.PutOp(Writer(view), op.RequestPut).Value;
                    break;
                case RequestOp.RequestOneofCase.RequestDeleteRange:
                    r.ResponseDeleteRange = KvApplier.DeleteOp(Writer(view), op.RequestDeleteRange);
                    break;
                case RequestOp.RequestOneofCase.RequestTxn:
                    var nested = new TxnResponse { Header = new ResponseHeader() };
                    ApplyTxn(view, op.RequestTxn, path, ref pos, nested);
                    r.ResponseTxn = nested;
                    break;
            }
            resp.Responses.Add(r);
        }
    }

    /// <summary>A write op needs the write transaction; <see cref="ReadTxn"/> is only given txns without one.</summary>
    private static TxnWrite Writer(IReadView view) =>
        view as TxnWrite ?? throw new InvalidOperationException("a read transaction cannot apply a write op");
}
