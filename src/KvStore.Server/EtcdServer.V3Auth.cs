using Etcdserverpb;
using Google.Protobuf;

namespace KvStore.Server;

/// <summary>etcd's Authenticator verbs (etcdserver/v3_server.go): each a command in the Raft log, checked when applied.</summary>
public sealed partial class EtcdServer
{
    /// <inheritdoc/>
    public AuthStatusResponse AuthStatus() =>
        new() { Header = Header(Store.CurrentRevision), Enabled = _auth.Enabled, AuthRevision = _auth.Revision };

    /// <inheritdoc/>
    public Task<AuthEnableResponse> AuthEnableAsync(AuthEnableRequest request, Caller caller, CancellationToken cancellationToken) =>
        AuthCommandAsync<AuthEnableResponse>(new InternalRaftRequest { AuthEnable = request }, caller, cancellationToken);

    /// <inheritdoc/>
    public Task<AuthDisableResponse> AuthDisableAsync(AuthDisableRequest request, Caller caller, CancellationToken cancellationToken) =>
        AuthCommandAsync<AuthDisableResponse>(new InternalRaftRequest { AuthDisable = request }, caller, cancellationToken);

    /// <inheritdoc/>
    public Task<AuthUserAddResponse> UserAddAsync(AuthUserAddRequest request, Caller caller, CancellationToken cancellationToken)
    {
        // etcd 3.5: hashed before proposing; the plain password never enters the log.
        if (request.Options is not { NoPassword: true } && request.Name.Length > 0) request.HashedPassword = _auth.HashPassword(request.Password);
        request.Password = "";
        return AuthCommandAsync<AuthUserAddResponse>(new InternalRaftRequest { AuthUserAdd = request }, caller, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<AuthUserGetResponse> UserGetAsync(AuthUserGetRequest request, Caller caller, CancellationToken cancellationToken) =>
        AuthCommandAsync<AuthUserGetResponse>(new InternalRaftRequest { AuthUserGet = request }, caller, cancellationToken);

    /// <inheritdoc/>
    public Task<AuthUserListResponse> UserListAsync(AuthUserListRequest request, Caller caller, CancellationToken cancellationToken) =>
        AuthCommandAsync<AuthUserListResponse>(new InternalRaftRequest { AuthUserList = request }, caller, cancellationToken);

    /// <inheritdoc/>
    public Task<AuthUserDeleteResponse> UserDeleteAsync(AuthUserDeleteRequest request, Caller caller, CancellationToken cancellationToken) =>
        AuthCommandAsync<AuthUserDeleteResponse>(new InternalRaftRequest { AuthUserDelete = request }, caller, cancellationToken);

    /// <inheritdoc/>
    public Task<AuthUserChangePasswordResponse> UserChangePasswordAsync(AuthUserChangePasswordRequest request, Caller caller,
        CancellationToken cancellationToken)
    {
        request.HashedPassword = _auth.HashPassword(request.Password);
        request.Password = "";
        return AuthCommandAsync<AuthUserChangePasswordResponse>(new InternalRaftRequest { AuthUserChangePassword = request }, caller,
            cancellationToken);
    }

    /// <inheritdoc/>
    public Task<AuthUserGrantRoleResponse> UserGrantRoleAsync(AuthUserGrantRoleRequest request, Caller caller,
        CancellationToken cancellationToken) =>
        AuthCommandAsync<AuthUserGrantRoleResponse>(new InternalRaftRequest { AuthUserGrantRole = request }, caller, cancellationToken);

    /// <inheritdoc/>
    public Task<AuthUserRevokeRoleResponse> UserRevokeRoleAsync(AuthUserRevokeRoleRequest request, Caller caller,
        CancellationToken cancellationToken) =>
        AuthCommandAsync<AuthUserRevokeRoleResponse>(new InternalRaftRequest { AuthUserRevokeRole = request }, caller, cancellationToken);

    /// <inheritdoc/>
    public Task<AuthRoleAddResponse> RoleAddAsync(AuthRoleAddRequest request, Caller caller, CancellationToken cancellationToken) =>
        AuthCommandAsync<AuthRoleAddResponse>(new InternalRaftRequest { AuthRoleAdd = request }, caller, cancellationToken);

    /// <inheritdoc/>
    public Task<AuthRoleGetResponse> RoleGetAsync(AuthRoleGetRequest request, Caller caller, CancellationToken cancellationToken) =>
        AuthCommandAsync<AuthRoleGetResponse>(new InternalRaftRequest { AuthRoleGet = request }, caller, cancellationToken);

    /// <inheritdoc/>
    public Task<AuthRoleListResponse> RoleListAsync(AuthRoleListRequest request, Caller caller, CancellationToken cancellationToken) =>
        AuthCommandAsync<AuthRoleListResponse>(new InternalRaftRequest { AuthRoleList = request }, caller, cancellationToken);

    /// <inheritdoc/>
    public Task<AuthRoleDeleteResponse> RoleDeleteAsync(AuthRoleDeleteRequest request, Caller caller, CancellationToken cancellationToken) =>
        AuthCommandAsync<AuthRoleDeleteResponse>(new InternalRaftRequest { AuthRoleDelete = request }, caller, cancellationToken);

    /// <inheritdoc/>
    public Task<AuthRoleGrantPermissionResponse> RoleGrantPermissionAsync(AuthRoleGrantPermissionRequest request, Caller caller,
        CancellationToken cancellationToken) =>
        AuthCommandAsync<AuthRoleGrantPermissionResponse>(new InternalRaftRequest { AuthRoleGrantPermission = request }, caller,
            cancellationToken);

    /// <inheritdoc/>
    public Task<AuthRoleRevokePermissionResponse> RoleRevokePermissionAsync(AuthRoleRevokePermissionRequest request, Caller caller,
        CancellationToken cancellationToken) =>
        AuthCommandAsync<AuthRoleRevokePermissionResponse>(new InternalRaftRequest { AuthRoleRevokePermission = request }, caller,
            cancellationToken);

    private async Task<T> AuthCommandAsync<T>(InternalRaftRequest command, Caller caller, CancellationToken cancellationToken)
        where T : class, IMessage =>
        EtcdServerException.Unwrap<T>(await ProposeAsync(command, caller, cancellationToken).ConfigureAwait(false));
}
