using Etcdserverpb;
using KvStore.Mvcc;
using KvStore.Server.Access;

namespace KvStore.Server.Apply;

/// <summary>
/// etcd's authApplierV3: the checks a committed command passes before it is applied, as the user and auth revision
/// in its header (admin for user and role management, key permissions for writes). The member runs them on every
/// command it applies; an etcd data dir's WAL tail is replayed through them on import (etcd checks at apply).
/// </summary>
internal static class AuthApplyChecks
{
    /// <summary>The checks of one command, as the user and auth revision in its header.</summary>
    public static MvccError Check(AuthStore auth, MvccStore store, InternalRaftRequest r)
    {
        if (!auth.Enabled) return MvccError.None;
        var ai = new AuthInfo(r.Header?.Username ?? "", r.Header?.AuthRevision ?? 0);
        if (NeedsAdmin(r)) return auth.IsAdminPermitted(ai.Username);
        if (r.Put is { } put)
        {
            MvccError e = auth.IsOpPermitted(ai, put.Key.Span, default, write: true);
            if (e == MvccError.None) e = CheckLeasePuts(auth, store, ai, put.Lease);
            if (e == MvccError.None && put.PrevKv) e = auth.IsOpPermitted(ai, put.Key.Span, default, write: false);
            return e;
        }
        if (r.DeleteRange is { } del)
        {
            MvccError e = auth.IsOpPermitted(ai, del.Key.Span, del.RangeEnd.Span, write: true);
            if (e == MvccError.None && del.PrevKv) e = auth.IsOpPermitted(ai, del.Key.Span, del.RangeEnd.Span, write: false);
            return e;
        }
        if (r.Txn is { } txn) return CheckTxn(auth, ai, txn);
        if (r.LeaseRevoke is { } revoke) return CheckLeasePuts(auth, store, ai, revoke.ID);
        if (r.AuthUserGet is { } userGet)
        {
            MvccError e = auth.IsAdminPermitted(ai.Username);
            return e != MvccError.None && userGet.Name != ai.Username ? e : MvccError.None;
        }
        if (r.AuthRoleGet is { } roleGet)
        {
            MvccError e = auth.IsAdminPermitted(ai.Username);
            return e != MvccError.None && !auth.HasRole(ai.Username, roleGet.Role) ? e : MvccError.None;
        }
        return MvccError.None;
    }

    /// <summary>A txn's compares and operations (nested txns too), each as a read or a write of its keys.</summary>
    public static MvccError CheckTxn(AuthStore auth, AuthInfo ai, TxnRequest txn)
    {
        foreach (Compare c in txn.Compare)
        {
            MvccError e = auth.IsOpPermitted(ai, c.Key.Span, c.RangeEnd.Span, write: false);
            if (e != MvccError.None) return e;
        }
        foreach (RequestOp op in txn.Success.Concat(txn.Failure))
        {
            MvccError e = op.RequestCase switch
            {
                RequestOp.RequestOneofCase.RequestRange =>
                    auth.IsOpPermitted(ai, op.RequestRange.Key.Span, op.RequestRange.RangeEnd.Span, write: false),
                RequestOp.RequestOneofCase.RequestPut => auth.IsOpPermitted(ai, op.RequestPut.Key.Span, default, write: true),
                RequestOp.RequestOneofCase.RequestDeleteRange => CheckTxnDelete(auth, ai, op.RequestDeleteRange),
                RequestOp.RequestOneofCase.RequestTxn => CheckTxn(auth, ai, op.RequestTxn), // etcd 3.5 checks nested txns too
                _ => MvccError.None,
            };
            if (e != MvccError.None) return e;
        }
        return MvccError.None;
    }

    private static MvccError CheckTxnDelete(AuthStore auth, AuthInfo ai, DeleteRangeRequest del)
    {
        if (del.PrevKv)
        {
            MvccError e = auth.IsOpPermitted(ai, del.Key.Span, del.RangeEnd.Span, write: false);
            if (e != MvccError.None) return e;
        }
        return auth.IsOpPermitted(ai, del.Key.Span, del.RangeEnd.Span, write: true);
    }

    /// <summary>etcd's checkLeasePuts: write access to every key attached to the lease.</summary>
    private static MvccError CheckLeasePuts(AuthStore auth, MvccStore store, AuthInfo ai, long leaseId)
    {
        if (leaseId == 0 || store.Lessor.Lookup(leaseId) is not { } lease) return MvccError.None;
        foreach (byte[] key in lease.Keys)
        {
            MvccError e = auth.IsOpPermitted(ai, key, default, write: true);
            if (e != MvccError.None) return e;
        }
        return MvccError.None;
    }

    private static bool NeedsAdmin(InternalRaftRequest r) =>
        r.AuthEnable is not null || r.AuthDisable is not null || r.AuthUserAdd is not null || r.AuthUserDelete is not null ||
        r.AuthUserChangePassword is not null || r.AuthUserGrantRole is not null || r.AuthUserRevokeRole is not null ||
        r.AuthRoleAdd is not null || r.AuthRoleGrantPermission is not null || r.AuthRoleRevokePermission is not null ||
        r.AuthRoleDelete is not null || r.AuthUserList is not null || r.AuthRoleList is not null;
}
