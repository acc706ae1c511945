using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc.Index;
using KvStore.Storage;
using Mvccpb;

namespace KvStore.Mvcc;

public sealed partial class MvccStore
{
    /// <summary>
    /// Runs one command under the write lock: skipped when <paramref name="index"/> is at or below the
    /// consistent index (a replay after a crash), else applied and the consistent index moved to it.
    /// Index 0 means "not from a log": always applied, consistent index unchanged.
    /// </summary>
    private MvccResult<T> Write<T>(long index, Func<MvccResult<T>> apply) where T : class =>
        Write(index, apply, static apply => apply());

    /// <summary>The same with the command's state passed along: the KV writes allocate no closure per command.</summary>
    private MvccResult<T> Write<T, TState>(long index, TState state, Func<TState, MvccResult<T>> apply) where T : class
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _lock.EnterWriteLock();
        try
        {
            if (IsAppliedLocked(index)) return MvccError.AlreadyApplied;
            MvccResult<T> result = apply(state);
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

    /// <summary>etcd's Put: lease must exist; ignore_value/ignore_lease need the key; prev_kv on request.</summary>
    public MvccResult<PutResponse> Put(PutRequest request, long index = 0)
    {
        // Checked inside the write: a rejected command still moves the consistent index (etcd moves it for every entry).
        return Write(index, (Store: this, Request: request), static s => s.Store.PutCommandLocked(s.Request));
    }

    private MvccResult<PutResponse> PutCommandLocked(PutRequest request)
    {
        MvccError invalid = RequestValidation.CheckPut(request);
        if (invalid != MvccError.None) return invalid;
        if (request.Lease != 0 && !_lessor.Exists(request.Lease)) return MvccError.LeaseNotFound;
        var tx = NestedWrite();
        MvccResult<PutResponse> result = PutOpLocked(tx, request);
        EndLocked(tx);
        return result;
    }

    private MvccResult<PutResponse> PutOpLocked(TxnWrite tx, PutRequest p)
    {
        ByteString value = p.Value;
        long leaseId = p.Lease;
        KeyValue? prev = null;
        if (p.IgnoreValue || p.IgnoreLease || p.PrevKv)
        {
            List<Revision> revs = CollectVisible(p.Key.Span, null, tx.ReadRev);
            if (revs.Count > 0) prev = ReadKeyValue(revs[0]);
        }
        if ((p.IgnoreValue || p.IgnoreLease) && prev is null) return MvccError.KeyNotFound;
        if (p.IgnoreValue) value = prev!.Value;
        if (p.IgnoreLease) leaseId = prev!.Lease;

        var resp = new PutResponse { Header = new ResponseHeader() };
        if (p.PrevKv && prev is not null) resp.PrevKv = prev;
        resp.Header.Revision = PutLocked(tx, p.Key.Span, p.Key, value, leaseId);
        return resp;
    }

    /// <summary>etcd's DeleteRange: one key or a range, the number deleted, prev_kv on request.</summary>
    public MvccResult<DeleteRangeResponse> DeleteRange(DeleteRangeRequest request, long index = 0)
    {
        return Write(index, (Store: this, Request: request), static s => s.Store.DeleteCommandLocked(s.Request));
    }

    private MvccResult<DeleteRangeResponse> DeleteCommandLocked(DeleteRangeRequest request)
    {
        MvccError invalid = RequestValidation.CheckDelete(request);
        if (invalid != MvccError.None) return invalid;
        var tx = NestedWrite();
        DeleteRangeResponse resp = DeleteOpLocked(tx, request);
        EndLocked(tx);
        return resp;
    }

    private DeleteRangeResponse DeleteOpLocked(TxnWrite tx, DeleteRangeRequest d)
    {
        var resp = new DeleteRangeResponse { Header = new ResponseHeader() };
        byte[]? end = KeyRanges.End(d.RangeEnd.Span);
        if (d.PrevKv)
        {
            foreach (Revision rev in CollectVisible(d.Key.Span, end, tx.ReadRev)) resp.PrevKvs.Add(ReadKeyValue(rev));
        }
        resp.Deleted = DeleteRangeLocked(tx, d.Key.Span, end);
        resp.Header.Revision = resp.Deleted != 0 || tx.Changes.Count > 0 ? tx.Rev : tx.BeginRev;
        return resp;
    }

    /// <summary>etcd's Txn: compares, then the success or failure ops (nested txns too) at one revision.</summary>
    public MvccResult<TxnResponse> Txn(TxnRequest request, long index = 0)
    {
        return Write(index, (Store: this, Request: request), static s => s.Store.TxnCommandLocked(s.Request));
    }

    private MvccResult<TxnResponse> TxnCommandLocked(TxnRequest request)
    {
        MvccError invalid = RequestValidation.CheckTxn(request, Options.MaxTxnOps);
        return invalid != MvccError.None ? invalid : TxnLocked(request);
    }

    private MvccResult<TxnResponse> TxnLocked(TxnRequest rt)
    {
        long beginRev = _currentRev;
        var path = new List<bool>();
        CompareToPath(rt, beginRev, path);

        int pos = 0;
        MvccError e = RequestValidation.HasNoWrites(rt) ? MvccError.None : CheckOps(rt, path, ref pos, beginRev, checkPut: true);
        if (e != MvccError.None) return e;
        pos = 0;
        e = CheckOps(rt, path, ref pos, beginRev, checkPut: false);
        if (e != MvccError.None) return e;

        var tx = NestedWrite();
        var resp = new TxnResponse { Header = new ResponseHeader() };
        pos = 0;
        ApplyTxnLocked(tx, rt, path, ref pos, resp);
        EndLocked(tx);
        resp.Header.Revision = tx.ReadRev;
        return resp;
    }

    /// <summary>Evaluates the compares of the txn and of every nested txn on the branch taken (etcd's compareToPath).</summary>
    private void CompareToPath(TxnRequest rt, long atRev, List<bool> path)
    {
        bool ok = rt.Compare.All(c => ApplyCompare(c, atRev));
        path.Add(ok);
        foreach (RequestOp op in ok ? rt.Success : rt.Failure)
        {
            if (op.RequestCase == RequestOp.RequestOneofCase.RequestTxn) CompareToPath(op.RequestTxn, atRev, path);
        }
    }

    private bool ApplyCompare(Compare c, long atRev)
    {
        List<Revision> revs = CollectVisible(c.Key.Span, KeyRanges.End(c.RangeEnd.Span), atRev);
        if (revs.Count == 0)
        {
            return c.Target != Compare.Types.CompareTarget.Value && CompareKv(c, new KeyValue());
        }
        foreach (Revision rev in revs)
        {
            if (!CompareKv(c, ReadKeyValue(rev))) return false;
        }
        return true;
    }

    private static bool CompareKv(Compare c, KeyValue kv)
    {
        int result = c.Target switch
        {
            Compare.Types.CompareTarget.Value => kv.Value.Span.SequenceCompareTo(c.Value.Span),
            Compare.Types.CompareTarget.Create => kv.CreateRevision.CompareTo(c.CreateRevision),
            Compare.Types.CompareTarget.Mod => kv.ModRevision.CompareTo(c.ModRevision),
            Compare.Types.CompareTarget.Version => kv.Version.CompareTo(c.Version),
            Compare.Types.CompareTarget.Lease => kv.Lease.CompareTo(c.Lease),
            _ => 0,
        };
        return c.Result switch
        {
            Compare.Types.CompareResult.Equal => result == 0,
            Compare.Types.CompareResult.NotEqual => result != 0,
            Compare.Types.CompareResult.Greater => result > 0,
            Compare.Types.CompareResult.Less => result < 0,
            _ => true,
        };
    }

    /// <summary>etcd's checkRequests with checkRequestPut or checkRequestRange, along the chosen branches.</summary>
    private MvccError CheckOps(TxnRequest rt, List<bool> path, ref int pos, long atRev, bool checkPut,
        List<(byte[] Start, byte[]? End)>? deletedBefore = null)
    {
        deletedBefore ??= [];
        bool success = path[pos++];
        foreach (RequestOp op in success ? rt.Success : rt.Failure)
        {
            MvccError e = MvccError.None;
            switch (op.RequestCase)
            {
                case RequestOp.RequestOneofCase.RequestTxn:
                    e = CheckOps(op.RequestTxn, path, ref pos, atRev, checkPut, deletedBefore);
                    break;
                case RequestOp.RequestOneofCase.RequestDeleteRange when checkPut:
                    deletedBefore.Add((op.RequestDeleteRange.Key.ToByteArray(), KeyRanges.End(op.RequestDeleteRange.RangeEnd.Span)));
                    break;
                case RequestOp.RequestOneofCase.RequestPut when checkPut:
                    PutRequest p = op.RequestPut;
                    bool ignores = p.IgnoreValue || p.IgnoreLease;
                    if (ignores && CollectVisible(p.Key.Span, null, atRev).Count == 0) e = MvccError.KeyNotFound;
                    // A from-key delete earlier in this txn slips past etcd's duplicate-key check, and etcd then
                    // panics applying the ignore_* put; here it is refused before anything is written.
                    else if (ignores && deletedBefore.Exists(d => KeyRanges.Contains(d.Start, d.End, p.Key.Span))) e = MvccError.KeyNotFound;
                    else if (p.Lease != 0 && !_lessor.Exists(p.Lease)) e = MvccError.LeaseNotFound;
                    break;
                case RequestOp.RequestOneofCase.RequestRange when !checkPut:
                    long rev = op.RequestRange.Revision;
                    if (rev > atRev) e = MvccError.FutureRevision;
                    else if (rev != 0 && rev < _compactRev) e = MvccError.Compacted;
                    break;
            }
            if (e != MvccError.None) return e;
        }
        return MvccError.None;
    }

    private void ApplyTxnLocked(TxnWrite tx, TxnRequest rt, List<bool> path, ref int pos, TxnResponse resp)
    {
        bool success = path[pos++];
        resp.Succeeded = success;
        foreach (RequestOp op in success ? rt.Success : rt.Failure)
        {
            var r = new ResponseOp();
            switch (op.RequestCase)
            {
                case RequestOp.RequestOneofCase.RequestRange:
                    r.ResponseRange = RangeLocked(op.RequestRange, tx.ReadRev).Value;
                    break;
                case RequestOp.RequestOneofCase.RequestPut:
                    r.ResponsePut = PutOpLocked(tx, op.RequestPut).Value;
                    break;
                case RequestOp.RequestOneofCase.RequestDeleteRange:
                    r.ResponseDeleteRange = DeleteOpLocked(tx, op.RequestDeleteRange);
                    break;
                case RequestOp.RequestOneofCase.RequestTxn:
                    var nested = new TxnResponse { Header = new ResponseHeader() };
                    ApplyTxnLocked(tx, op.RequestTxn, path, ref pos, nested);
                    r.ResponseTxn = nested;
                    break;
            }
            resp.Responses.Add(r);
        }
    }
}
