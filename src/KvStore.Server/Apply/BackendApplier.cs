using Etcdserverpb;
using KvStore.Mvcc;
using KvStore.Mvcc.Leases;

namespace KvStore.Server.Apply;

/// <summary>
/// etcd's applierV3backend, the end of the chain: each command to its engine primitive (KV writes and txns through
/// <see cref="KvApplier"/> and <see cref="TxnApplier"/> in one write transaction, a read,
/// compaction, leases, the auth store) or to the member's alarms; the token provider follows the auth store's
/// changes (etcd's tokenProvider calls in auth/store.go). A command the engine does not know only moves the index.
/// </summary>
public sealed class BackendApplier : IApplier
{
    private readonly MvccStore _store;
    private readonly AlarmStore _alarms;
    private readonly ITokenProvider _tokens;
    private readonly Func<long, ResponseHeader> _header;

    /// <summary>The engine's commands alone: alarms in a list of its own, no tokens minted (etcd's tokenNop).</summary>
    public BackendApplier(MvccStore store)
        : this(store, new AlarmStore(), new NopTokens(), revision => new ResponseHeader { Revision = revision })
    {
    }

    internal BackendApplier(MvccStore store, AlarmStore alarms, ITokenProvider tokens, Func<long, ResponseHeader> header)
    {
        _store = store;
        _alarms = alarms;
        _tokens = tokens;
        _header = header;
    }

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
        return tx.AlreadyApplied ? new ApplyResult(null, MvccError.AlreadyApplied) : ApplyResult.From(tx.Range(range));
    }

    /// <summary>
    /// A lessor command in one write transaction at <paramref name="index"/> (etcd's applierV3backend.LeaseGrant/LeaseRevoke):
    /// a replayed index writes nothing; a refused one still moves the consistent index. Tested by LessorRecoveryTests.
    /// </summary>
    private ApplyResult Lease(long index, InternalRaftRequest r, long nowMs)
    {
        using TxnWrite tx = _store.BeginWrite(index);
        if (tx.AlreadyApplied) return new ApplyResult(null, MvccError.AlreadyApplied);
        Lessor lessor = _store.Lessor;
        if (r.LeaseGrant is { } grant) return ApplyResult.From(lessor.Grant(tx, grant, nowMs));
        if (r.LeaseRevoke is { } revoke) return ApplyResult.From(lessor.Revoke(tx, revoke.ID));
        return ApplyResult.From(lessor.Checkpoint(tx, r.LeaseCheckpoint));
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

    /// <summary>etcd's auth store commands; null when <paramref name="r"/> carries none.</summary>
    private ApplyResult? ApplyAuth(long index, InternalRaftRequest r, long nowMs)
    {
        if (r.Authenticate is { } a) return Authenticate(index, a, nowMs);
        if (r.AuthEnable is not null) return ApplyResult.From(_store.AuthEnable(index));
        if (r.AuthDisable is not null) return Then(_store.AuthDisable(index), _tokens.Disable);
        if (r.AuthUserAdd is { } ua) return ApplyResult.From(_store.UserAdd(ua, index));
        if (r.AuthUserDelete is { } ud) return Then(_store.UserDelete(ud, index), () => _tokens.InvalidateUser(ud.Name));
        if (r.AuthUserChangePassword is { } uc) return Then(_store.UserChangePassword(uc, index), () => _tokens.InvalidateUser(uc.Name));
        if (r.AuthUserGrantRole is { } ug) return ApplyResult.From(_store.UserGrantRole(ug, index));
        if (r.AuthUserRevokeRole is { } ur) return ApplyResult.From(_store.UserRevokeRole(ur, index));
        if (r.AuthUserGet is { } ugt) return ApplyResult.From(_store.UserGet(ugt.Name, index));
        if (r.AuthUserList is not null) return ApplyResult.From(_store.UserList(index));
        if (r.AuthRoleAdd is { } ra) return ApplyResult.From(_store.RoleAdd(ra, index));
        if (r.AuthRoleDelete is { } rd) return ApplyResult.From(_store.RoleDelete(rd, index));
        if (r.AuthRoleGet is { } rg) return ApplyResult.From(_store.RoleGet(rg.Role, index));
        if (r.AuthRoleList is not null) return ApplyResult.From(_store.RoleList(index));
        if (r.AuthRoleGrantPermission is { } rgp) return ApplyResult.From(_store.RoleGrantPermission(rgp, index));
        if (r.AuthRoleRevokePermission is { } rrp) return ApplyResult.From(_store.RoleRevokePermission(rrp, index));
        return null;
    }

    /// <summary>An applied auth change the token provider follows (a refused or replayed one changes no token).</summary>
    private static ApplyResult Then<T>(MvccResult<T> result, Action onApplied) where T : class, Google.Protobuf.IMessage
    {
        if (result.Error == MvccError.None && result.Response is not null) onApplied();
        return ApplyResult.From(result);
    }

    /// <summary>
    /// etcd's Authenticate at apply: the user may log in, then the provider mints the token (a verify-only JWT key
    /// cannot: the provider's error is the answer). Tested by the auth tests of KvStore.Etcdctl.Tests.
    /// </summary>
    private ApplyResult Authenticate(long index, InternalAuthenticateRequest a, long nowMs)
    {
        MvccResult<AuthenticateResponse> result = _store.Authenticate(a.Name, index);
        if (result.Error != MvccError.None || result.Response is not { } resp) return ApplyResult.From(result);
        long raftIndex = RaftStateMachine.RaftIndex(index);
        string? token = _tokens.Assign(a.Name, a.SimpleToken, raftIndex, _store.AuthRevision, nowMs, out MvccError error);
        if (token is null) return new ApplyResult(null, error);
        resp.Token = token;
        return new ApplyResult(resp);
    }
}
