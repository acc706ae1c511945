using Etcdserverpb;
using Grpc.Core;
using KvStore.Server;

namespace KvStore.Grpc;

/// <summary>
/// etcd's Auth service (api/v3rpc/auth.go): call the member's verbs (every one but AuthStatus a command in the Raft
/// log), fill the header.
/// </summary>
public sealed class AuthService(IEtcdServer server) : Auth.AuthBase
{
    /// <summary>etcd 3.5's AuthStatus: read locally, no permission needed.</summary>
    public override Task<AuthStatusResponse> AuthStatus(AuthStatusRequest request, ServerCallContext context) =>
        Task.FromResult(server.AuthStatus());

    public override Task<AuthEnableResponse> AuthEnable(AuthEnableRequest request, ServerCallContext context) =>
        Filled(server.AuthEnableAsync(request, server.CallerOf(context), context.CancellationToken));

    public override Task<AuthDisableResponse> AuthDisable(AuthDisableRequest request, ServerCallContext context) =>
        Filled(server.AuthDisableAsync(request, server.CallerOf(context), context.CancellationToken));

    public override Task<AuthUserAddResponse> UserAdd(AuthUserAddRequest request, ServerCallContext context) =>
        Filled(server.UserAddAsync(request, server.CallerOf(context), context.CancellationToken));

    public override Task<AuthUserGetResponse> UserGet(AuthUserGetRequest request, ServerCallContext context) =>
        Filled(server.UserGetAsync(request, server.CallerOf(context), context.CancellationToken));

    public override Task<AuthUserListResponse> UserList(AuthUserListRequest request, ServerCallContext context) =>
        Filled(server.UserListAsync(request, server.CallerOf(context), context.CancellationToken));

    public override Task<AuthUserDeleteResponse> UserDelete(AuthUserDeleteRequest request, ServerCallContext context) =>
        Filled(server.UserDeleteAsync(request, server.CallerOf(context), context.CancellationToken));

    public override Task<AuthUserChangePasswordResponse> UserChangePassword(AuthUserChangePasswordRequest request, ServerCallContext context) =>
        Filled(server.UserChangePasswordAsync(request, server.CallerOf(context), context.CancellationToken));

    public override Task<AuthUserGrantRoleResponse> UserGrantRole(AuthUserGrantRoleRequest request, ServerCallContext context) =>
        Filled(server.UserGrantRoleAsync(request, server.CallerOf(context), context.CancellationToken));

    public override Task<AuthUserRevokeRoleResponse> UserRevokeRole(AuthUserRevokeRoleRequest request, ServerCallContext context) =>
        Filled(server.UserRevokeRoleAsync(request, server.CallerOf(context), context.CancellationToken));

    public override Task<AuthRoleAddResponse> RoleAdd(AuthRoleAddRequest request, ServerCallContext context) =>
        Filled(server.RoleAddAsync(request, server.CallerOf(context), context.CancellationToken));

    public override Task<AuthRoleGetResponse> RoleGet(AuthRoleGetRequest request, ServerCallContext context) =>
        Filled(server.RoleGetAsync(request, server.CallerOf(context), context.CancellationToken));

    public override Task<AuthRoleListResponse> RoleList(AuthRoleListRequest request, ServerCallContext context) =>
        Filled(server.RoleListAsync(request, server.CallerOf(context), context.CancellationToken));

    public override Task<AuthRoleDeleteResponse> RoleDelete(AuthRoleDeleteRequest request, ServerCallContext context) =>
        Filled(server.RoleDeleteAsync(request, server.CallerOf(context), context.CancellationToken));

    public override Task<AuthRoleGrantPermissionResponse> RoleGrantPermission(AuthRoleGrantPermissionRequest request, ServerCallContext context) =>
        Filled(server.RoleGrantPermissionAsync(request, server.CallerOf(context), context.CancellationToken));

    public override Task<AuthRoleRevokePermissionResponse> RoleRevokePermission(AuthRoleRevokePermissionRequest request, ServerCallContext context) =>
        Filled(server.RoleRevokePermissionAsync(request, server.CallerOf(context), context.CancellationToken));

    public override Task<AuthenticateResponse> Authenticate(AuthenticateRequest request, ServerCallContext context) =>
        Filled(server.AuthenticateAsync(request, server.CallerOf(context), context.CancellationToken));

    private async Task<T> Filled<T>(Task<T> call) where T : class, Google.Protobuf.IMessage
    {
        T response = await call.ConfigureAwait(false);
        var header = (Google.Protobuf.Reflection.FieldDescriptor?)response.Descriptor.FindFieldByName("header");
        if (header?.Accessor.GetValue(response) is ResponseHeader h) header.Accessor.SetValue(response, server.Fill(h));
        return response;
    }
}
