using Authpb;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc.Auth;

namespace KvStore.Mvcc;

/// <summary>A user's name and the auth revision its token was checked at (etcd's auth.AuthInfo).</summary>
public readonly record struct AuthInfo(string Username, ulong Revision);

public sealed partial class MvccStore
{
    private readonly AuthState _auth = new();

    /// <summary>True once AuthEnable was applied (and no AuthDisable after it).</summary>
    public bool AuthEnabled
    {
        get
        {
            _lock.EnterReadLock();
            try { return _auth.Enabled; } finally { _lock.ExitReadLock(); }
        }
    }

    /// <summary>etcd's auth revision (1 for a new store; every auth change but AuthEnable adds one).</summary>
    public ulong AuthRevision
    {
        get
        {
            _lock.EnterReadLock();
            try { return _auth.Revision; } finally { _lock.ExitReadLock(); }
        }
    }

    // etcd's AuthStore operations, each a command at an index like a write (AuthWrite). Tested by AuthTests.
    public MvccResult<AuthEnableResponse> AuthEnable(long index = 0) => AuthWrite<AuthEnableResponse>(index, AuthEnableLocked);

    public MvccResult<AuthDisableResponse> AuthDisable(long index = 0) => AuthWrite<AuthDisableResponse>(index, AuthDisableLocked);

    /// <summary>etcd's Authenticate after the password check: the user may log in; the member mints the token.</summary>
    public MvccResult<AuthenticateResponse> Authenticate(string name, long index = 0) =>
        AuthWrite<AuthenticateResponse>(index, () => AuthenticateLocked(name));

    public MvccResult<AuthUserAddResponse> UserAdd(AuthUserAddRequest r, long index = 0) =>
        AuthWrite<AuthUserAddResponse>(index, () => UserAddLocked(r));

    public MvccResult<AuthUserDeleteResponse> UserDelete(AuthUserDeleteRequest r, long index = 0) =>
        AuthWrite<AuthUserDeleteResponse>(index, () => UserDeleteLocked(r));

    public MvccResult<AuthUserChangePasswordResponse> UserChangePassword(AuthUserChangePasswordRequest r, long index = 0) =>
        AuthWrite<AuthUserChangePasswordResponse>(index, () => UserChangePasswordLocked(r));

    public MvccResult<AuthUserGrantRoleResponse> UserGrantRole(AuthUserGrantRoleRequest r, long index = 0) =>
        AuthWrite<AuthUserGrantRoleResponse>(index, () => UserGrantRoleLocked(r));

    public MvccResult<AuthUserRevokeRoleResponse> UserRevokeRole(AuthUserRevokeRoleRequest r, long index = 0) =>
        AuthWrite<AuthUserRevokeRoleResponse>(index, () => UserRevokeRoleLocked(r));

    public MvccResult<AuthUserGetResponse> UserGet(string name, long index = 0) =>
        AuthWrite<AuthUserGetResponse>(index, () => UserGetLocked(name));

    public MvccResult<AuthUserListResponse> UserList(long index = 0) => AuthWrite<AuthUserListResponse>(index, UserListLocked);

    public MvccResult<AuthRoleAddResponse> RoleAdd(AuthRoleAddRequest r, long index = 0) =>
        AuthWrite<AuthRoleAddResponse>(index, () => RoleAddLocked(r));

    public MvccResult<AuthRoleDeleteResponse> RoleDelete(AuthRoleDeleteRequest r, long index = 0) =>
        AuthWrite<AuthRoleDeleteResponse>(index, () => RoleDeleteLocked(r));

    public MvccResult<AuthRoleGetResponse> RoleGet(string role, long index = 0) =>
        AuthWrite<AuthRoleGetResponse>(index, () => RoleGetLocked(role));

    public MvccResult<AuthRoleListResponse> RoleList(long index = 0) => AuthWrite<AuthRoleListResponse>(index, RoleListLocked);

    public MvccResult<AuthRoleGrantPermissionResponse> RoleGrantPermission(AuthRoleGrantPermissionRequest r, long index = 0) =>
        AuthWrite<AuthRoleGrantPermissionResponse>(index, () => RoleGrantPermissionLocked(r));

    public MvccResult<AuthRoleRevokePermissionResponse> RoleRevokePermission(AuthRoleRevokePermissionRequest r, long index = 0) =>
        AuthWrite<AuthRoleRevokePermissionResponse>(index, () => RoleRevokePermissionLocked(r));

    /// <summary>An auth command: applied under the write lock; a change is persisted with the consistent index.</summary>
    private MvccResult<T> AuthWrite<T>(long index, Func<MvccResult<T>> apply) where T : class =>
        Write<T>(index, () =>
        {
            byte[] before = _auth.Encode();
            MvccResult<T> result = apply();
            byte[] after = _auth.Encode();
            if (!before.AsSpan().SequenceEqual(after))
            {
                _records.Upsert(RecordCodec.AuthKey, after);
                MarkDirty(after.Length);
            }
            return result;
        });

    private MvccResult<AuthEnableResponse> AuthEnableLocked()
    {
        if (!_auth.Enabled)
        {
            if (_auth.GetUser(AuthState.RootUser) is not { } root) return MvccError.AuthRootUserNotExist;
            if (!AuthState.HasRootRole(root)) return MvccError.AuthRootRoleNotExist;
            _auth.Enabled = true;
            _auth.RefreshPermCache();
        }
        return new AuthEnableResponse { Header = Header() };
    }

    private MvccResult<AuthDisableResponse> AuthDisableLocked()
    {
        if (_auth.Enabled)
        {
            _auth.Enabled = false;
            _auth.Revision++;
        }
        return new AuthDisableResponse { Header = Header() };
    }

    private MvccResult<AuthenticateResponse> AuthenticateLocked(string name)
    {
        if (!_auth.Enabled) return MvccError.AuthNotEnabled;
        if (_auth.GetUser(name) is not { } user || user.Options is { NoPassword: true }) return MvccError.AuthFailed;
        return new AuthenticateResponse { Header = Header() }; // the member mints the token
    }

    private MvccResult<AuthUserAddResponse> UserAddLocked(AuthUserAddRequest r)
    {
        if (r.Name.Length == 0) return MvccError.AuthUserEmpty;
        if (_auth.GetUser(r.Name) is not null) return MvccError.AuthUserAlreadyExist;
        bool noPassword = r.Options is { NoPassword: true };
        _auth.PutUser(new User
        {
            Name = ByteString.CopyFromUtf8(r.Name),
            Password = noPassword ? ByteString.Empty : ByteString.CopyFromUtf8(r.HashedPassword),
            Options = r.Options ?? new UserAddOptions(),
        });
        CommitAuthLocked();
        return new AuthUserAddResponse { Header = Header() };
    }

    private MvccResult<AuthUserDeleteResponse> UserDeleteLocked(AuthUserDeleteRequest r)
    {
        if (_auth.Enabled && r.Name == AuthState.RootUser) return MvccError.AuthInvalidMgmt;
        if (_auth.GetUser(r.Name) is null) return MvccError.AuthUserNotFound;
        _auth.DeleteUser(r.Name);
        CommitAuthLocked();
        return new AuthUserDeleteResponse { Header = Header() };
    }

    private MvccResult<AuthUserChangePasswordResponse> UserChangePasswordLocked(AuthUserChangePasswordRequest r)
    {
        if (_auth.GetUser(r.Name) is not { } user) return MvccError.AuthUserNotFound;
        User updated = user.Clone();
        updated.Password = ByteString.CopyFromUtf8(r.HashedPassword);
        _auth.PutUser(updated);
        CommitAuthLocked();
        return new AuthUserChangePasswordResponse { Header = Header() };
    }

    private MvccResult<AuthUserGrantRoleResponse> UserGrantRoleLocked(AuthUserGrantRoleRequest r)
    {
        if (_auth.GetUser(r.User) is not { } user) return MvccError.AuthUserNotFound;
        if (r.Role != AuthState.RootRole && _auth.GetRole(r.Role) is null) return MvccError.AuthRoleNotFound;
        if (user.Roles.Contains(r.Role)) return new AuthUserGrantRoleResponse { Header = Header() }; // etcd: ignored
        User updated = user.Clone();
        List<string> roles = [.. updated.Roles, r.Role];
        roles.Sort(StringComparer.Ordinal);
        updated.Roles.Clear();
        updated.Roles.AddRange(roles);
        _auth.PutUser(updated);
        CommitAuthLocked();
        return new AuthUserGrantRoleResponse { Header = Header() };
    }

    private MvccResult<AuthUserRevokeRoleResponse> UserRevokeRoleLocked(AuthUserRevokeRoleRequest r)
    {
        if (_auth.Enabled && r.Name == AuthState.RootUser && r.Role == AuthState.RootRole) return MvccError.AuthInvalidMgmt;
        if (_auth.GetUser(r.Name) is not { } user) return MvccError.AuthUserNotFound;
        if (!user.Roles.Contains(r.Role)) return MvccError.AuthRoleNotGranted;
        User updated = user.Clone();
        updated.Roles.Remove(r.Role);
        _auth.PutUser(updated);
        CommitAuthLocked();
        return new AuthUserRevokeRoleResponse { Header = Header() };
    }

    private MvccResult<AuthUserGetResponse> UserGetLocked(string name)
    {
        if (_auth.GetUser(name) is not { } user) return MvccError.AuthUserNotFound;
        var resp = new AuthUserGetResponse { Header = Header() };
        resp.Roles.AddRange(user.Roles);
        return resp;
    }

    private MvccResult<AuthUserListResponse> UserListLocked()
    {
        var resp = new AuthUserListResponse { Header = Header() };
        resp.Users.AddRange(_auth.Users.Select(u => u.Name.ToStringUtf8()));
        return resp;
    }

    private MvccResult<AuthRoleAddResponse> RoleAddLocked(AuthRoleAddRequest r)
    {
        if (r.Name.Length == 0) return MvccError.AuthRoleEmpty;
        if (_auth.GetRole(r.Name) is not null) return MvccError.AuthRoleAlreadyExist;
        _auth.PutRole(new Role { Name = ByteString.CopyFromUtf8(r.Name) });
        CommitAuthLocked();
        return new AuthRoleAddResponse { Header = Header() };
    }

    private MvccResult<AuthRoleDeleteResponse> RoleDeleteLocked(AuthRoleDeleteRequest r)
    {
        if (_auth.Enabled && r.Role == AuthState.RootRole) return MvccError.AuthInvalidMgmt;
        if (_auth.GetRole(r.Role) is null) return MvccError.AuthRoleNotFound;
        _auth.DeleteRole(r.Role);
        foreach (User user in _auth.Users.Where(u => u.Roles.Contains(r.Role)).ToList())
        {
            User updated = user.Clone();
            updated.Roles.Remove(r.Role);
            _auth.PutUser(updated);
        }
        CommitAuthLocked();
        return new AuthRoleDeleteResponse { Header = Header() };
    }

    private MvccResult<AuthRoleGetResponse> RoleGetLocked(string name)
    {
        if (_auth.GetRole(name) is not { } role) return MvccError.AuthRoleNotFound;
        var resp = new AuthRoleGetResponse { Header = Header() };
        resp.Perm.AddRange(role.KeyPermission.Select(p => p.Clone()));
        return resp;
    }

    private MvccResult<AuthRoleListResponse> RoleListLocked()
    {
        var resp = new AuthRoleListResponse { Header = Header() };
        resp.Roles.AddRange(_auth.Roles.Select(r => r.Name.ToStringUtf8()));
        return resp;
    }

    private MvccResult<AuthRoleGrantPermissionResponse> RoleGrantPermissionLocked(AuthRoleGrantPermissionRequest r)
    {
        if (_auth.GetRole(r.Name) is not { } role) return MvccError.AuthRoleNotFound;
        Permission perm = r.Perm ?? new Permission();
        Role updated = role.Clone();
        Permission? existing = updated.KeyPermission.FirstOrDefault(p => p.Key == perm.Key && p.RangeEnd == perm.RangeEnd);
        if (existing is not null)
        {
            existing.PermType = perm.PermType;
        }
        else
        {
            // etcd keeps permissions sorted by key (a stable sort: equal keys keep their order).
            var added = new Permission { Key = perm.Key, RangeEnd = perm.RangeEnd, PermType = perm.PermType };
            List<Permission> perms = [.. updated.KeyPermission, added];
            perms = perms.OrderBy(p => p.Key.ToByteArray(), Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b))).ToList();
            updated.KeyPermission.Clear();
            updated.KeyPermission.AddRange(perms);
        }
        _auth.PutRole(updated);
        CommitAuthLocked();
        return new AuthRoleGrantPermissionResponse { Header = Header() };
    }

    private MvccResult<AuthRoleRevokePermissionResponse> RoleRevokePermissionLocked(AuthRoleRevokePermissionRequest r)
    {
        if (_auth.GetRole(r.Role) is not { } role) return MvccError.AuthRoleNotFound;
        Role updated = role.Clone();
        List<Permission> kept = updated.KeyPermission.Where(p => p.Key != r.Key || p.RangeEnd != r.RangeEnd).ToList();
        if (kept.Count == updated.KeyPermission.Count) return MvccError.AuthPermissionNotGranted;
        updated.KeyPermission.Clear();
        updated.KeyPermission.AddRange(kept);
        _auth.PutRole(updated);
        CommitAuthLocked();
        return new AuthRoleRevokePermissionResponse { Header = Header() };
    }

    /// <summary>etcd's commitRevision + refreshRangePermCache after a change.</summary>
    private void CommitAuthLocked()
    {
        _auth.Revision++;
        _auth.RefreshPermCache();
    }

    /// <summary>
    /// The bcrypt hash to check a password against and the auth revision it was read at (etcd's CheckPassword
    /// before the hash comparison, which the caller does outside the lock).
    /// </summary>
    public (byte[]? Hash, ulong Revision, MvccError Error) PasswordOf(string name)
    {
        _lock.EnterReadLock();
        try
        {
            if (!_auth.Enabled) return (null, 0, MvccError.AuthNotEnabled);
            if (_auth.GetUser(name) is not { } user) return (null, 0, MvccError.AuthFailed);
            if (user.Options is { NoPassword: true }) return (null, 0, MvccError.AuthNoPasswordUser);
            return (user.Password.ToByteArray(), _auth.Revision, MvccError.None);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>True when <paramref name="user"/> exists (tokens of deleted users are dropped by the member).</summary>
    public bool UserExists(string user)
    {
        _lock.EnterReadLock();
        try { return _auth.GetUser(user) is not null; } finally { _lock.ExitReadLock(); }
    }

    /// <summary>True when <paramref name="user"/> holds <paramref name="role"/> (etcd's HasRole).</summary>
    public bool HasRole(string user, string role)
    {
        _lock.EnterReadLock();
        try { return _auth.GetUser(user) is { } u && u.Roles.Contains(role); } finally { _lock.ExitReadLock(); }
    }

    /// <summary>etcd's isOpPermitted: read (or write) access of <paramref name="auth"/> to [key, rangeEnd).</summary>
    public MvccError IsOpPermitted(AuthInfo auth, ReadOnlySpan<byte> key, ReadOnlySpan<byte> rangeEnd, bool write)
    {
        _lock.EnterReadLock();
        try
        {
            if (!_auth.Enabled) return MvccError.None;
            if (auth.Revision == 0) return MvccError.AuthUserEmpty; // no token given
            if (auth.Revision < _auth.Revision) return MvccError.AuthOldRevision;
            if (_auth.GetUser(auth.Username) is not { } user) return MvccError.AuthPermissionDenied;
            if (AuthState.HasRootRole(user)) return MvccError.None;
            return _auth.IsRangeOpPermitted(auth.Username, key, rangeEnd, write) ? MvccError.None : MvccError.AuthPermissionDenied;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>etcd's IsAdminPermitted: the user holds the root role (anyone when auth is disabled).</summary>
    public MvccError IsAdminPermitted(string? username)
    {
        _lock.EnterReadLock();
        try
        {
            if (!_auth.Enabled) return MvccError.None;
            if (string.IsNullOrEmpty(username)) return MvccError.AuthUserEmpty;
            if (_auth.GetUser(username) is not { } user) return MvccError.AuthUserNotFound;
            return AuthState.HasRootRole(user) ? MvccError.None : MvccError.AuthPermissionDenied;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }
}
