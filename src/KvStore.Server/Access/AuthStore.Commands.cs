using Authpb;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;

namespace KvStore.Server.Access;

/// <summary>
/// etcd's auth store, commands: each applied at its index in a write transaction (<see cref="Write{T}"/>) with etcd's
/// rules and errors; every change but AuthEnable adds one to the auth revision (etcd's commitRevision), and the token
/// provider follows the applied ones. Tested by AuthTests and the auth tests of KvStore.Etcdctl.Tests.
/// </summary>
internal sealed partial class AuthStore
{
    public MvccResult<AuthEnableResponse> AuthEnable(long index) => Write<AuthEnableResponse>(index, static (s, header) =>
    {
        if (!s.Enabled)
        {
            if (s.GetUser(AuthState.RootUser) is not { } root) return MvccError.AuthRootUserNotExist;
            if (!AuthState.HasRootRole(root)) return MvccError.AuthRootRoleNotExist;
            s.Enabled = true;
        }
        return new AuthEnableResponse { Header = header };
    });

    public MvccResult<AuthDisableResponse> AuthDisable(long index) => Then(Write<AuthDisableResponse>(index, static (s, header) =>
    {
        if (s.Enabled)
        {
            s.Enabled = false;
            s.Revision++;
        }
        return new AuthDisableResponse { Header = header };
    }), Tokens.Disable);

    /// <summary>
    /// etcd's Authenticate at apply: the user may log in, then the provider mints the token outside the transaction (a
    /// verify-only JWT key cannot: the provider's error is the answer).
    /// </summary>
    public MvccResult<AuthenticateResponse> Authenticate(string name, string simpleToken, long raftIndex, long nowMs, long index)
    {
        MvccResult<AuthenticateResponse> result = Write<AuthenticateResponse>(index, (s, header) =>
        {
            if (!s.Enabled) return MvccError.AuthNotEnabled;
            if (s.GetUser(name) is not { } user || user.Options is { NoPassword: true }) return MvccError.AuthFailed;
            return new AuthenticateResponse { Header = header };
        });
        if (result.Error != MvccError.None || result.Response is not { } resp) return result;
        string? token = Tokens.Assign(name, simpleToken, raftIndex, Revision, nowMs, out MvccError error);
        if (token is null) return error;
        resp.Token = token;
        return resp;
    }

    public MvccResult<AuthUserAddResponse> UserAdd(AuthUserAddRequest r, long index) => Write<AuthUserAddResponse>(index, (s, header) =>
    {
        if (r.Name.Length == 0) return MvccError.AuthUserEmpty;
        if (s.GetUser(r.Name) is not null) return MvccError.AuthUserAlreadyExist;
        bool noPassword = r.Options is { NoPassword: true };
        s.PutUser(new User
        {
            Name = ByteString.CopyFromUtf8(r.Name),
            Password = noPassword ? ByteString.Empty : ByteString.CopyFromUtf8(r.HashedPassword),
            Options = r.Options ?? new UserAddOptions(),
        });
        s.Revision++;
        return new AuthUserAddResponse { Header = header };
    });

    public MvccResult<AuthUserDeleteResponse> UserDelete(AuthUserDeleteRequest r, long index) => Then(Write<AuthUserDeleteResponse>(index,
        (s, header) =>
        {
            if (s.Enabled && r.Name == AuthState.RootUser) return MvccError.AuthInvalidMgmt;
            if (s.GetUser(r.Name) is null) return MvccError.AuthUserNotFound;
            s.DeleteUser(r.Name);
            s.Revision++;
            return new AuthUserDeleteResponse { Header = header };
        }), () => Tokens.InvalidateUser(r.Name));

    public MvccResult<AuthUserChangePasswordResponse> UserChangePassword(AuthUserChangePasswordRequest r, long index) =>
        Then(Write<AuthUserChangePasswordResponse>(index, (s, header) =>
        {
            if (s.GetUser(r.Name) is not { } user) return MvccError.AuthUserNotFound;
            User updated = user.Clone();
            updated.Password = ByteString.CopyFromUtf8(r.HashedPassword);
            s.PutUser(updated);
            s.Revision++;
            return new AuthUserChangePasswordResponse { Header = header };
        }), () => Tokens.InvalidateUser(r.Name));

    public MvccResult<AuthUserGrantRoleResponse> UserGrantRole(AuthUserGrantRoleRequest r, long index) =>
        Write<AuthUserGrantRoleResponse>(index, (s, header) =>
        {
            if (s.GetUser(r.User) is not { } user) return MvccError.AuthUserNotFound;
            if (r.Role != AuthState.RootRole && s.GetRole(r.Role) is null) return MvccError.AuthRoleNotFound;
            if (user.Roles.Contains(r.Role)) return new AuthUserGrantRoleResponse { Header = header }; // etcd: ignored
            User updated = user.Clone();
            List<string> roles = [.. updated.Roles, r.Role];
            roles.Sort(StringComparer.Ordinal);
            updated.Roles.Clear();
            updated.Roles.AddRange(roles);
            s.PutUser(updated);
            s.Revision++;
            return new AuthUserGrantRoleResponse { Header = header };
        });

    public MvccResult<AuthUserRevokeRoleResponse> UserRevokeRole(AuthUserRevokeRoleRequest r, long index) =>
        Write<AuthUserRevokeRoleResponse>(index, (s, header) =>
        {
            if (s.Enabled && r.Name == AuthState.RootUser && r.Role == AuthState.RootRole) return MvccError.AuthInvalidMgmt;
            if (s.GetUser(r.Name) is not { } user) return MvccError.AuthUserNotFound;
            if (!user.Roles.Contains(r.Role)) return MvccError.AuthRoleNotGranted;
            User updated = user.Clone();
            updated.Roles.Remove(r.Role);
            s.PutUser(updated);
            s.Revision++;
            return new AuthUserRevokeRoleResponse { Header = header };
        });

    public MvccResult<AuthUserGetResponse> UserGet(string name, long index) => Write<AuthUserGetResponse>(index, (s, header) =>
    {
        if (s.GetUser(name) is not { } user) return MvccError.AuthUserNotFound;
        var resp = new AuthUserGetResponse { Header = header };
        resp.Roles.AddRange(user.Roles);
        return resp;
    });

    public MvccResult<AuthUserListResponse> UserList(long index) => Write<AuthUserListResponse>(index, static (s, header) =>
    {
        var resp = new AuthUserListResponse { Header = header };
        resp.Users.AddRange(s.Users.Select(u => u.Name.ToStringUtf8()));
        return resp;
    });

    public MvccResult<AuthRoleAddResponse> RoleAdd(AuthRoleAddRequest r, long index) => Write<AuthRoleAddResponse>(index, (s, header) =>
    {
        if (r.Name.Length == 0) return MvccError.AuthRoleEmpty;
        if (s.GetRole(r.Name) is not null) return MvccError.AuthRoleAlreadyExist;
        s.PutRole(new Role { Name = ByteString.CopyFromUtf8(r.Name) });
        s.Revision++;
        return new AuthRoleAddResponse { Header = header };
    });

    public MvccResult<AuthRoleDeleteResponse> RoleDelete(AuthRoleDeleteRequest r, long index) => Write<AuthRoleDeleteResponse>(index,
        (s, header) =>
        {
            if (s.Enabled && r.Role == AuthState.RootRole) return MvccError.AuthInvalidMgmt;
            if (s.GetRole(r.Role) is null) return MvccError.AuthRoleNotFound;
            s.DeleteRole(r.Role);
            foreach (User user in s.Users.Where(u => u.Roles.Contains(r.Role)).ToList())
            {
                User updated = user.Clone();
                updated.Roles.Remove(r.Role);
                s.PutUser(updated);
            }
            s.Revision++;
            return new AuthRoleDeleteResponse { Header = header };
        });

    public MvccResult<AuthRoleGetResponse> RoleGet(string name, long index) => Write<AuthRoleGetResponse>(index, (s, header) =>
    {
        if (s.GetRole(name) is not { } role) return MvccError.AuthRoleNotFound;
        var resp = new AuthRoleGetResponse { Header = header };
        resp.Perm.AddRange(role.KeyPermission.Select(p => p.Clone()));
        return resp;
    });

    public MvccResult<AuthRoleListResponse> RoleList(long index) => Write<AuthRoleListResponse>(index, static (s, header) =>
    {
        var resp = new AuthRoleListResponse { Header = header };
        resp.Roles.AddRange(s.Roles.Select(r => r.Name.ToStringUtf8()));
        return resp;
    });

    public MvccResult<AuthRoleGrantPermissionResponse> RoleGrantPermission(AuthRoleGrantPermissionRequest r, long index) =>
        Write<AuthRoleGrantPermissionResponse>(index, (s, header) =>
        {
            if (s.GetRole(r.Name) is not { } role) return MvccError.AuthRoleNotFound;
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
            s.PutRole(updated);
            s.Revision++;
            return new AuthRoleGrantPermissionResponse { Header = header };
        });

    public MvccResult<AuthRoleRevokePermissionResponse> RoleRevokePermission(AuthRoleRevokePermissionRequest r, long index) =>
        Write<AuthRoleRevokePermissionResponse>(index, (s, header) =>
        {
            if (s.GetRole(r.Role) is not { } role) return MvccError.AuthRoleNotFound;
            Role updated = role.Clone();
            List<Permission> kept = updated.KeyPermission.Where(p => p.Key != r.Key || p.RangeEnd != r.RangeEnd).ToList();
            if (kept.Count == updated.KeyPermission.Count) return MvccError.AuthPermissionNotGranted;
            updated.KeyPermission.Clear();
            updated.KeyPermission.AddRange(kept);
            s.PutRole(updated);
            s.Revision++;
            return new AuthRoleRevokePermissionResponse { Header = header };
        });

    /// <summary>An applied change the token provider follows (a refused or replayed command changes no token).</summary>
    private static MvccResult<T> Then<T>(MvccResult<T> result, Action onApplied) where T : class
    {
        if (result.Error == MvccError.None && result.Response is not null) onApplied();
        return result;
    }
}
