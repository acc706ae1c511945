using Etcdserverpb;
using Grpc.Core;
using KvStore.Mvcc;
using KvStore.Server;

namespace KvStore.Grpc;

/// <summary>
/// etcd's Auth service (api/v3rpc/auth.go over etcdserver/v3_server.go): every call but AuthStatus is a command
/// in the Raft log, checked and applied on every member; passwords are hashed with bcrypt before proposing.
/// </summary>
public sealed class AuthService(IEtcdServer server) : Auth.AuthBase
{
    public override Task<AuthEnableResponse> AuthEnable(AuthEnableRequest request, ServerCallContext context) =>
        ProposeAsync<AuthEnableResponse>(new InternalRaftRequest { AuthEnable = request }, context);

    public override Task<AuthDisableResponse> AuthDisable(AuthDisableRequest request, ServerCallContext context) =>
        ProposeAsync<AuthDisableResponse>(new InternalRaftRequest { AuthDisable = request }, context);

    /// <summary>etcd 3.5's AuthStatus: read locally, no permission needed.</summary>
    public override Task<AuthStatusResponse> AuthStatus(AuthStatusRequest request, ServerCallContext context) =>
        Task.FromResult(new AuthStatusResponse
        {
            Header = server.Header(server.Store.CurrentRevision),
            Enabled = server.Store.AuthEnabled,
            AuthRevision = server.Store.AuthRevision,
        });

    public override async Task<AuthenticateResponse> Authenticate(AuthenticateRequest request, ServerCallContext context)
    {
        ProposeResult result = await server.AuthenticateAsync(request, context.CancellationToken).ConfigureAwait(false);
        AuthenticateResponse response = result.Unwrap<AuthenticateResponse>();
        response.Header = server.Fill(response.Header);
        return response;
    }

    public override Task<AuthUserAddResponse> UserAdd(AuthUserAddRequest request, ServerCallContext context)
    {
        // etcd 3.5: hashed in the API layer; the plain password never enters the log.
        if (request.Options is not { NoPassword: true } && request.Name.Length > 0) request.HashedPassword = server.HashPassword(request.Password);
        request.Password = "";
        return ProposeAsync<AuthUserAddResponse>(new InternalRaftRequest { AuthUserAdd = request }, context);
    }

    public override Task<AuthUserGetResponse> UserGet(AuthUserGetRequest request, ServerCallContext context) =>
        ProposeAsync<AuthUserGetResponse>(new InternalRaftRequest { AuthUserGet = request }, context);

    public override Task<AuthUserListResponse> UserList(AuthUserListRequest request, ServerCallContext context) =>
        ProposeAsync<AuthUserListResponse>(new InternalRaftRequest { AuthUserList = request }, context);

    public override Task<AuthUserDeleteResponse> UserDelete(AuthUserDeleteRequest request, ServerCallContext context) =>
        ProposeAsync<AuthUserDeleteResponse>(new InternalRaftRequest { AuthUserDelete = request }, context);

    public override Task<AuthUserChangePasswordResponse> UserChangePassword(AuthUserChangePasswordRequest request, ServerCallContext context)
    {
        request.HashedPassword = server.HashPassword(request.Password);
        request.Password = "";
        return ProposeAsync<AuthUserChangePasswordResponse>(new InternalRaftRequest { AuthUserChangePassword = request }, context);
    }

    public override Task<AuthUserGrantRoleResponse> UserGrantRole(AuthUserGrantRoleRequest request, ServerCallContext context) =>
        ProposeAsync<AuthUserGrantRoleResponse>(new InternalRaftRequest { AuthUserGrantRole = request }, context);

    public override Task<AuthUserRevokeRoleResponse> UserRevokeRole(AuthUserRevokeRoleRequest request, ServerCallContext context) =>
        ProposeAsync<AuthUserRevokeRoleResponse>(new InternalRaftRequest { AuthUserRevokeRole = request }, context);

    public override Task<AuthRoleAddResponse> RoleAdd(AuthRoleAddRequest request, ServerCallContext context) =>
        ProposeAsync<AuthRoleAddResponse>(new InternalRaftRequest { AuthRoleAdd = request }, context);

    public override Task<AuthRoleGetResponse> RoleGet(AuthRoleGetRequest request, ServerCallContext context) =>
        ProposeAsync<AuthRoleGetResponse>(new InternalRaftRequest { AuthRoleGet = request }, context);

    public override Task<AuthRoleListResponse> RoleList(AuthRoleListRequest request, ServerCallContext context) =>
        ProposeAsync<AuthRoleListResponse>(new InternalRaftRequest { AuthRoleList = request }, context);

    public override Task<AuthRoleDeleteResponse> RoleDelete(AuthRoleDeleteRequest request, ServerCallContext context) =>
        ProposeAsync<AuthRoleDeleteResponse>(new InternalRaftRequest { AuthRoleDelete = request }, context);

    public override Task<AuthRoleGrantPermissionResponse> RoleGrantPermission(AuthRoleGrantPermissionRequest request, ServerCallContext context) =>
        ProposeAsync<AuthRoleGrantPermissionResponse>(new InternalRaftRequest { AuthRoleGrantPermission = request }, context);

    public override Task<AuthRoleRevokePermissionResponse> RoleRevokePermission(AuthRoleRevokePermissionRequest request, ServerCallContext context) =>
        ProposeAsync<AuthRoleRevokePermissionResponse>(new InternalRaftRequest { AuthRoleRevokePermission = request }, context);

    private async Task<T> ProposeAsync<T>(InternalRaftRequest command, ServerCallContext context) where T : class, Google.Protobuf.IMessage
    {
        ProposeResult result = await server.ProposeAsync(command, context.CancellationToken).ConfigureAwait(false);
        T response = result.Unwrap<T>();
        var header = (Google.Protobuf.Reflection.FieldDescriptor?)response.Descriptor.FindFieldByName("header");
        if (header?.Accessor.GetValue(response) is ResponseHeader h) header.Accessor.SetValue(response, server.Fill(h));
        return response;
    }
}
