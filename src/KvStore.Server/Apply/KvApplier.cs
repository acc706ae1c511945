using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;
using Mvccpb;

namespace KvStore.Server.Apply;

/// <summary>
/// etcd's applierV3backend.Put and DeleteRange (etcdserver/apply.go): a request turned into the engine's write
/// transaction. A refused command still ends its transaction, so it moves the consistent index as etcd does for
/// every entry (tested by DurabilityTests); one at or below the consistent index answers AlreadyApplied.
/// </summary>
public static class KvApplier
{
    /// <summary>etcd's Put as the command at <paramref name="index"/> (0: not from a log).</summary>
    public static MvccResult<PutResponse> Put(MvccStore store, PutRequest request, long index = 0)
    {
        using TxnWrite tx = store.BeginWrite(index);
        MvccResult<PutResponse> result = tx.AlreadyApplied ? MvccError.AlreadyApplied : Put(tx, request);
        tx.End();
        return result;
    }

    /// <summary>etcd's Put: the request checks, the lease must exist, then <see cref="PutOp"/>.</summary>
    public static MvccResult<PutResponse> Put(TxnWrite tx, PutRequest request)
    {
        MvccError invalid = RequestValidation.CheckPut(request);
        if (invalid != MvccError.None) return invalid;
        if (request.Lease != 0 && !tx.LeaseExists(request.Lease)) return MvccError.LeaseNotFound;
        return PutOp(tx, request);
    }

    /// <summary>A checked put: ignore_value/ignore_lease take the key's current value/lease (the key must exist); prev_kv on request.</summary>
    internal static MvccResult<PutResponse> PutOp(TxnWrite tx, PutRequest p)
    {
        ByteString value = p.Value;
        long leaseId = p.Lease;
        KeyValue? prev = null;
        if (p.IgnoreValue || p.IgnoreLease || p.PrevKv)
        {
            List<KeyValue> kvs = tx.KeyValues(p.Key.Span, null);
            if (kvs.Count > 0) prev = kvs[0];
        }
        if ((p.IgnoreValue || p.IgnoreLease) && prev is null) return MvccError.KeyNotFound;
        if (p.IgnoreValue) value = prev!.Value;
        if (p.IgnoreLease) leaseId = prev!.Lease;

        var resp = new PutResponse { Header = new ResponseHeader() };
        if (p.PrevKv && prev is not null) resp.PrevKv = prev;
        resp.Header.Revision = tx.Put(p.Key, value, leaseId);
        return resp;
    }

    /// <summary>etcd's DeleteRange as the command at <paramref name="index"/> (0: not from a log).</summary>
    public static MvccResult<DeleteRangeResponse> DeleteRange(MvccStore store, DeleteRangeRequest request, long index = 0)
    {
        using TxnWrite tx = store.BeginWrite(index);
        MvccResult<DeleteRangeResponse> result = tx.AlreadyApplied ? MvccError.AlreadyApplied : DeleteRange(tx, request);
        tx.End();
        return result;
    }

    /// <summary>etcd's DeleteRange: one key or a range, the number deleted, prev_kv on request.</summary>
    public static MvccResult<DeleteRangeResponse> DeleteRange(TxnWrite tx, DeleteRangeRequest request)
    {
        MvccError invalid = RequestValidation.CheckDelete(request);
        return invalid != MvccError.None ? invalid : DeleteOp(tx, request);
    }

    /// <summary>A checked delete. The header has the transaction's revision once it changed anything.</summary>
    internal static DeleteRangeResponse DeleteOp(TxnWrite tx, DeleteRangeRequest d)
    {
        var resp = new DeleteRangeResponse { Header = new ResponseHeader() };
        byte[]? end = KeyRanges.End(d.RangeEnd.Span);
        if (d.PrevKv) resp.PrevKvs.AddRange(tx.KeyValues(d.Key.Span, end));
        resp.Deleted = tx.DeleteRange(d.Key.Span, end);
        resp.Header.Revision = tx.ReadRev;
        return resp;
    }
}
