extern alias dotnetetcd;

using dotnetetcd::dotnet_etcd;
using Grpc.Core;
using AuthPb = dotnetetcd::Authpb;
using EtcdPb = dotnetetcd::Etcdserverpb;

namespace KvStore.Differential.Tests;

/// <summary>
/// dotnet-etcd's auth calls (its own stubs) against a kvstore process and against real etcd 3.4: users, a role
/// with a prefix permission, enable, Authenticate, then calls carrying the token as metadata, allowed and denied.
/// Each run starts its own server: auth, once enabled, changes every later call.
/// </summary>
public abstract class DotnetEtcdAuthTests(EtcdClient client) : IDisposable
{
    public sealed class OnKvStore() : DotnetEtcdAuthTests(Servers.StartKvStore());

    public sealed class OnEtcd() : DotnetEtcdAuthTests(Servers.StartEtcd());

    private readonly SingleMember? _server;

    private DotnetEtcdAuthTests(SingleMember server) : this(new EtcdClient(server.ClientUrl)) => _server = server;

    public void Dispose()
    {
        client.Dispose();
        _server?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Authenticated_calls_are_allowed_by_role_permissions_and_denied_outside_them()
    {
        await client.UserAddAsync(new EtcdPb.AuthUserAddRequest { Name = "root", Password = "rootpw" });
        await client.RoleAddAsync(new EtcdPb.AuthRoleAddRequest { Name = "root" });
        await client.UserGrantRoleAsync(new EtcdPb.AuthUserGrantRoleRequest { User = "root", Role = "root" });
        await client.RoleAddAsync(new EtcdPb.AuthRoleAddRequest { Name = "app" });
        await client.RoleGrantPermissionAsync(new EtcdPb.AuthRoleGrantPermissionRequest
        {
            Name = "app",
            Perm = new AuthPb.Permission
            {
                PermType = AuthPb.Permission.Types.Type.Readwrite,
                Key = Google.Protobuf.ByteString.CopyFromUtf8("/app/"),
                RangeEnd = Google.Protobuf.ByteString.CopyFromUtf8("/app0"),
            },
        });
        await client.UserAddAsync(new EtcdPb.AuthUserAddRequest { Name = "svc", Password = "svcpw" });
        await client.UserGrantRoleAsync(new EtcdPb.AuthUserGrantRoleRequest { User = "svc", Role = "app" });
        await client.AuthEnableAsync(new EtcdPb.AuthEnableRequest());

        var wrong = await Assert.ThrowsAsync<RpcException>(() =>
            client.AuthenticateAsync(new EtcdPb.AuthenticateRequest { Name = "svc", Password = "nope" }));
        Assert.Equal(StatusCode.InvalidArgument, wrong.StatusCode);
        Assert.Equal("etcdserver: authentication failed, invalid user ID or password", wrong.Status.Detail);

        string token = (await client.AuthenticateAsync(new EtcdPb.AuthenticateRequest { Name = "svc", Password = "svcpw" })).Token;
        var svc = new Metadata { { "token", token } };
        await client.PutAsync("/app/config", "on", svc);
        Assert.Equal("on", await client.GetValAsync("/app/config", svc));

        var denied = await Assert.ThrowsAsync<RpcException>(() => client.PutAsync("/other", "x", svc));
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Equal("etcdserver: permission denied", denied.Status.Detail);
        var anonymous = await Assert.ThrowsAsync<RpcException>(() => client.GetValAsync("/app/config"));
        Assert.Equal(StatusCode.InvalidArgument, anonymous.StatusCode);
        Assert.Equal("etcdserver: user name is empty", anonymous.Status.Detail);
        var bogus = await Assert.ThrowsAsync<RpcException>(() => client.GetValAsync("/app/config", new Metadata { { "token", "x.1" } }));
        Assert.Equal(StatusCode.Unauthenticated, bogus.StatusCode);

        string root = (await client.AuthenticateAsync(new EtcdPb.AuthenticateRequest { Name = "root", Password = "rootpw" })).Token;
        await client.AuthDisableAsync(new EtcdPb.AuthDisableRequest(), new Metadata { { "token", root } });
        Assert.Equal("on", await client.GetValAsync("/app/config"));
    }
}
