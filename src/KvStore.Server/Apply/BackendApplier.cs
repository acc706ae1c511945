using Etcdserverpb;
using KvStore.Mvcc;
using KvStore.Mvcc.Leases;
using KvStore.Server.Access;

namespace KvStore.Server.Apply;

/// <summary>
/// etcd's applierV3backend, the end of the chain: each command to its engine primitive (KV writes and txns through
/// <see cref="KvApplier"/> and <see cref="TxnApplier"/> in one write transaction, a read, compaction, the lessor's
/// commands), to the auth store (<see cref="AuthStore"/>) or to the member's alarms. A command nobody knows only moves
/// the index.
/// </summary>
public sealed class BackendApplier : IApplier
{
    private readonly MvccStore _store;
    private readonly AlarmStore _alarms;
    private readonly AuthStore _auth;
    private readonly Func<long, ResponseHeader> _header;

    /// <summary>
    /// The engine's commands alone: alarms in a list of its own, an auth store of the engine's record that mints no
    /// tokens (etcd's tokenNop).
    /// </summary>
    public BackendApplier(MvccStore store)
        : this(store, new AlarmStore(), new AuthStore(store, new NopTokens()), revision => new ResponseHeader { Revision = revision })
    {
    }

    internal BackendApplier(MvccStore store, AlarmStore alarms, AuthStore auth, Func<long, ResponseHeader> header)
    {
        _store = store;
        _alarms = alarms;
        _auth = auth;
        _header = header;
    }

    /// <summary>The auth store this applier applies auth commands to.</summary>
    internal AuthStore Auth => _auth;

    public ApplyResult Apply(long index, InternalRaftRequest r, long nowMs)
    {
        if (r.Put is { } put) return ApplyResult.From(KvApplier.Put(_store, put, index));
        if (r.DeleteRange is { } del) return ApplyResult.From(KvApplier.DeleteRange(_store, del, index));
        if (r.Txn is { } txn) return ApplyResult.From(TxnApplier.Txn(_store, txn, index));
        if (r.Alarm is { } alarm) return Alarm(index, alarm);
        if (r.Compaction is { } compaction) return ApplyResult.From(_store.Compact(compaction.Revision, index));
        if (r.LeaseGrant is not null || r.LeaseRevoke is not null || r.LeaseCheckpoint is not null) return Lease(index, r, nowMs);
        if (r.Range is { } range) return Range(index, range);
        return ApplyAuth(index, r, nowMs) ?? new ApplyResult(null, _store.MarkApplied(index) ? MvccError.None : MvccError.AlreadyApplied);
    }

    /// <summary>A range that came through the log: read in the command's write transaction, which moves the consistent index.</summary>
    private ApplyResult Range(long index, RangeRequest range)
    {
        using TxnWrite tx = _store.BeginWrite(index);
        ApplyResult result = tx.AlreadyApplied ? new ApplyResult(null, MvccError.AlreadyApplied) : ApplyResult.From(tx.Range(range));
        tx.End();
        return result;
    }

    /// <summary>
    /// A lessor command in one write transaction at <paramref name="index"/> (etcd's applierV3backend.LeaseGrant/LeaseRevoke):
    /// a replayed index writes nothing; a refused one still moves the consistent index. Tested by LessorRecoveryTests.
    /// </summary>
    private ApplyResult Lease(long index, InternalRaftRequest r, long nowMs)
    {
        using TxnWrite tx = _store.BeginWrite(index);
        Lessor lessor = _store.Lessor;
        ApplyResult result = tx.AlreadyApplied ? new ApplyResult(null, MvccError.AlreadyApplied)
            : r.LeaseGrant is { } grant ? ApplyResult.From(lessor.Grant(tx, grant, nowMs))
            : r.LeaseRevoke is { } revoke ? ApplyResult.From(lessor.Revoke(tx, revoke.ID))
            : ApplyResult.From(lessor.Checkpoint(tx, r.LeaseCheckpoint));
        tx.End();
        return result;
    }

    /// <summary>
    /// Alarms are member state outside the engine (restored from the snapshot marker, then replayed), so a replayed
    /// alarm command changes the list again. Tested by MaintenanceServiceTests and SnapshotTests (alarms).
    /// </summary>
    private ApplyResult Alarm(long index, AlarmRequest request)
    {
        _store.MarkApplied(index);
        return new ApplyResult(_alarms.Apply(request, _header(_store.CurrentRevision)));
    }

    /// <summary>etcd's auth store commands (<see cref="AuthStore"/>); null when <paramref name="r"/> carries none.</summary>
    private ApplyResult? ApplyAuth(long index, InternalRaftRequest r, long nowMs)
    {
        if (r.Authenticate is { } a) return From(_auth.Authenticate(a.Name, a.SimpleToken, RaftStateMachine.RaftIndex(index), nowMs, index));
        if (r.AuthEnable is not null) return From(_auth.AuthEnable(index));
        if (r.AuthDisable is not null) return From(_auth.AuthDisable(index));
        if (r.AuthUserAdd is { } ua) return From(_auth.UserAdd(ua, index));
        if (r.AuthUserDelete is { } ud) return From(_auth.UserDelete(ud, index));
        if (r.AuthUserChangePassword is { } uc) return From(_auth.UserChangePassword(uc, index));
        if (r.AuthUserGrantRole is { } ug) return From(_auth.UserGrantRole(ug, index));
        if (r.AuthUserRevokeRole is { } ur) return From(_auth.UserRevokeRole(ur, index));
        if (r.AuthUserGet is { } ugt) return From(_auth.UserGet(ugt.Name, index));
        if (r.AuthUserList is not null) return From(_auth.UserList(index));
        if (r.AuthRoleAdd is { } ra) return From(_auth.RoleAdd(ra, index));
        if (r.AuthRoleDelete is { } rd) return From(_auth.RoleDelete(rd, index));
        if (r.AuthRoleGet is { } rg) return From(_auth.RoleGet(rg.Role, index));
        if (r.AuthRoleList is not null) return From(_auth.RoleList(index));
        if (r.AuthRoleGrantPermission is { } rgp) return From(_auth.RoleGrantPermission(rgp, index));
        if (r.AuthRoleRevokePermission is { } rrp) return From(_auth.RoleRevokePermission(rrp, index));
        return null;
    }

    private static ApplyResult From<T>(MvccResult<T> result) where T : class, Google.Protobuf.IMessage => ApplyResult.From(result);
}
