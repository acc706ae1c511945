using Etcdserverpb;
using KvStore.Mvcc;
using KvStore.Server.Apply;

namespace KvStore.Server.Access;

/// <summary>etcd's auth store, permission checks: each reads one published version of the data, without a lock or allocation.</summary>
internal sealed partial class AuthStore
{
    /// <summary>etcd's isOpPermitted: read (or write) access of <paramref name="auth"/> to [key, rangeEnd).</summary>
    public MvccError IsOpPermitted(AuthInfo auth, ReadOnlySpan<byte> key, ReadOnlySpan<byte> rangeEnd, bool write)
    {
        AuthState state = _state;
        if (!state.Enabled) return MvccError.None;
        if (auth.Revision == 0) return MvccError.AuthUserEmpty; // no token given
        if (auth.Revision < state.Revision) return MvccError.AuthOldRevision;
        if (state.GetUser(auth.Username) is not { } user) return MvccError.AuthPermissionDenied;
        if (AuthState.HasRootRole(user)) return MvccError.None;
        return state.Perms.IsRangeOpPermitted(auth.Username, key, rangeEnd, write) ? MvccError.None : MvccError.AuthPermissionDenied;
    }

    /// <summary>etcd's IsAdminPermitted: the user holds the root role (anyone when auth is disabled).</summary>
    public MvccError IsAdminPermitted(string? username)
    {
        AuthState state = _state;
        if (!state.Enabled) return MvccError.None;
        if (string.IsNullOrEmpty(username)) return MvccError.AuthUserEmpty;
        if (state.GetUser(username) is not { } user) return MvccError.AuthUserNotFound;
        return AuthState.HasRootRole(user) ? MvccError.None : MvccError.AuthPermissionDenied;
    }

    /// <summary>True when <paramref name="user"/> holds <paramref name="role"/> (etcd's HasRole).</summary>
    public bool HasRole(string user, string role) => _state.GetUser(user) is { } u && u.Roles.Contains(role);

    /// <summary>etcd's IsAdminPermitted for a caller (maintenance and membership operations that need root).</summary>
    public void CheckAdmin(Caller caller)
    {
        EtcdServerException.ThrowIf(caller.Error);
        EtcdServerException.ThrowIf(IsAdminPermitted(caller.Auth?.Username));
    }

    /// <summary>etcd's doSerialize check: the caller's token resolved, then <paramref name="check"/> on its user.</summary>
    public static void CheckRead(Caller caller, Func<AuthInfo, MvccError> check)
    {
        EtcdServerException.ThrowIf(caller.Error);
        EtcdServerException.ThrowIf(check(caller.User));
    }

    /// <summary>etcd's IsRangePermitted: read access to the key or range.</summary>
    public MvccError IsRangePermitted(AuthInfo user, ReadOnlySpan<byte> key, ReadOnlySpan<byte> rangeEnd) =>
        IsOpPermitted(user, key, rangeEnd, write: false);

    /// <summary>etcd's checkTxnAuth: read access to every compare and range, write access to every put and delete.</summary>
    public MvccError CheckTxn(AuthInfo user, TxnRequest txn) => AuthApplyChecks.CheckTxn(this, user, txn);

    /// <summary>etcd's doSerialize: a read served while the auth store changed under its token is refused.</summary>
    public void CheckAuthRevision(Caller caller)
    {
        if (caller.User.Revision != 0 && caller.User.Revision != Revision) throw new EtcdServerException(MvccError.AuthOldRevision);
    }
}
