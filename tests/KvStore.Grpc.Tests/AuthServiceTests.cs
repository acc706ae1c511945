using Authpb;
using Etcdserverpb;
using Grpc.Core;
using static KvStore.Grpc.Tests.GrpcHost;

namespace KvStore.Grpc.Tests;

/// <summary>
/// The Auth service through a real gRPC channel on a real member: every auth error with etcd's code and message,
/// tokens as clientv3 sends them (metadata "token"), key permissions on KV, watch, lease and txn, admin calls.
/// Each test starts its own member (auth, once enabled, changes every later call).
/// </summary>
public sealed class AuthServiceTests
{
    private static Task<GrpcHost> StartAsync(int tokenTtlSeconds = 300) =>
        GrpcHost.StartAsync(c => c with { BcryptCost = 4, AuthTokenTtlSeconds = tokenTtlSeconds });

    private static Auth.AuthClient AuthOf(GrpcHost host) => new(host.Channel);

    private static Metadata As(string token) => new() { { "token", token } };

    private static async Task<string> TokenAsync(GrpcHost host, string name, string password) =>
        (await AuthOf(host).AuthenticateAsync(new AuthenticateRequest { Name = name, Password = password })).Token;

    /// <summary>root (root role), and alice with role r: readwrite on prefix /a/, read on /r, write on [/w/a, /w/z).</summary>
    private static async Task<(string Root, string Alice)> EnableAsync(GrpcHost host)
    {
        Auth.AuthClient auth = AuthOf(host);
        await auth.UserAddAsync(new AuthUserAddRequest { Name = "root", Password = "rootpw" });
        await auth.RoleAddAsync(new AuthRoleAddRequest { Name = "root" });
        await auth.UserGrantRoleAsync(new AuthUserGrantRoleRequest { User = "root", Role = "root" });
        await auth.RoleAddAsync(new AuthRoleAddRequest { Name = "r" });
        await Grant(auth, "r", Permission.Types.Type.Readwrite, "/a/", "/a0");
        await Grant(auth, "r", Permission.Types.Type.Read, "/r", "");
        await Grant(auth, "r", Permission.Types.Type.Write, "/w/a", "/w/z");
        await auth.UserAddAsync(new AuthUserAddRequest { Name = "alice", Password = "apw" });
        await auth.UserGrantRoleAsync(new AuthUserGrantRoleRequest { User = "alice", Role = "r" });
        await auth.AuthEnableAsync(new AuthEnableRequest());
        return (await TokenAsync(host, "root", "rootpw"), await TokenAsync(host, "alice", "apw"));
    }

    private static Task Grant(Auth.AuthClient auth, string role, Permission.Types.Type type, string key, string end) =>
        auth.RoleGrantPermissionAsync(new AuthRoleGrantPermissionRequest
        {
            Name = role, Perm = new Permission { PermType = type, Key = B(key), RangeEnd = B(end) },
        }).ResponseAsync;

    [Fact]
    public async Task ManagementErrorsCarryEtcdCodesAndMessages()
    {
        await using GrpcHost host = await StartAsync();
        Auth.AuthClient auth = AuthOf(host);
        const StatusCode pre = StatusCode.FailedPrecondition, arg = StatusCode.InvalidArgument;

        AssertStatus(pre, "etcdserver: root user does not exist", await FailsWith(() => auth.AuthEnableAsync(new AuthEnableRequest()).ResponseAsync));
        AssertStatus(pre, "etcdserver: authentication is not enabled",
            await FailsWith(() => auth.AuthenticateAsync(new AuthenticateRequest { Name = "root", Password = "x" }).ResponseAsync));
        AssertStatus(arg, "etcdserver: user name is empty", await FailsWith(() => auth.UserAddAsync(new AuthUserAddRequest { Password = "x" }).ResponseAsync));
        await auth.UserAddAsync(new AuthUserAddRequest { Name = "root", Password = "rootpw" });
        AssertStatus(pre, "etcdserver: user name already exists",
            await FailsWith(() => auth.UserAddAsync(new AuthUserAddRequest { Name = "root", Password = "x" }).ResponseAsync));
        AssertStatus(pre, "etcdserver: root user does not have root role", await FailsWith(() => auth.AuthEnableAsync(new AuthEnableRequest()).ResponseAsync));
        AssertStatus(pre, "etcdserver: user name not found", await FailsWith(() => auth.UserGetAsync(new AuthUserGetRequest { Name = "nobody" }).ResponseAsync));
        AssertStatus(pre, "etcdserver: user name not found",
            await FailsWith(() => auth.UserDeleteAsync(new AuthUserDeleteRequest { Name = "nobody" }).ResponseAsync));
        AssertStatus(pre, "etcdserver: user name not found",
            await FailsWith(() => auth.UserChangePasswordAsync(new AuthUserChangePasswordRequest { Name = "nobody", Password = "p" }).ResponseAsync));
        AssertStatus(arg, "etcdserver: role name is empty", await FailsWith(() => auth.RoleAddAsync(new AuthRoleAddRequest()).ResponseAsync));
        await auth.RoleAddAsync(new AuthRoleAddRequest { Name = "r" });
        AssertStatus(pre, "etcdserver: role name already exists", await FailsWith(() => auth.RoleAddAsync(new AuthRoleAddRequest { Name = "r" }).ResponseAsync));
        AssertStatus(pre, "etcdserver: role name not found", await FailsWith(() => auth.RoleGetAsync(new AuthRoleGetRequest { Role = "nope" }).ResponseAsync));
        AssertStatus(pre, "etcdserver: role name not found",
            await FailsWith(() => auth.UserGrantRoleAsync(new AuthUserGrantRoleRequest { User = "root", Role = "nope" }).ResponseAsync));
        AssertStatus(pre, "etcdserver: role is not granted to the user",
            await FailsWith(() => auth.UserRevokeRoleAsync(new AuthUserRevokeRoleRequest { Name = "root", Role = "r" }).ResponseAsync));
        AssertStatus(pre, "etcdserver: permission is not granted to the role",
            await FailsWith(() => auth.RoleRevokePermissionAsync(new AuthRoleRevokePermissionRequest { Role = "r", Key = B("k") }).ResponseAsync));

        // Granting the same key and range again updates the type; permissions stay sorted by key.
        await Grant(auth, "r", Permission.Types.Type.Read, "/b", "");
        await Grant(auth, "r", Permission.Types.Type.Read, "/a", "/c");
        await Grant(auth, "r", Permission.Types.Type.Write, "/b", "");
        AuthRoleGetResponse role = await auth.RoleGetAsync(new AuthRoleGetRequest { Role = "r" });
        Assert.Equal(["/a:/c:Read", "/b::Write"], role.Perm.Select(p => $"{p.Key.ToStringUtf8()}:{p.RangeEnd.ToStringUtf8()}:{p.PermType}"));

        // The plain password is never stored: the user record holds a bcrypt hash.
        await auth.UserGrantRoleAsync(new AuthUserGrantRoleRequest { User = "root", Role = "root" });
        Assert.Equal(["root"], (await auth.UserGetAsync(new AuthUserGetRequest { Name = "root" })).Roles);
        await auth.UserAddAsync(new AuthUserAddRequest { Name = "np", Options = new UserAddOptions { NoPassword = true } });
        AuthStatusResponse before = await auth.AuthStatusAsync(new AuthStatusRequest());
        Assert.False(before.Enabled);
        await auth.AuthEnableAsync(new AuthEnableRequest());
        AuthStatusResponse after = await auth.AuthStatusAsync(new AuthStatusRequest());
        Assert.True(after.Enabled);
        Assert.Equal(before.AuthRevision, after.AuthRevision); // etcd: enabling does not move the auth revision

        AssertStatus(arg, "etcdserver: authentication failed, invalid user ID or password",
            await FailsWith(() => auth.AuthenticateAsync(new AuthenticateRequest { Name = "root", Password = "bad" }).ResponseAsync));
        AssertStatus(arg, "etcdserver: authentication failed, invalid user ID or password",
            await FailsWith(() => auth.AuthenticateAsync(new AuthenticateRequest { Name = "nobody", Password = "x" }).ResponseAsync));
        AssertStatus(StatusCode.Unknown, "auth: authentication failed, password was given for no password user",
            await FailsWith(() => auth.AuthenticateAsync(new AuthenticateRequest { Name = "np", Password = "x" }).ResponseAsync));
        AssertStatus(arg, "etcdserver: user name is empty", await FailsWith(() => auth.UserListAsync(new AuthUserListRequest()).ResponseAsync));

        string root = await TokenAsync(host, "root", "rootpw");
        Assert.Matches("^[a-zA-Z]{16}\\.[0-9]+$", root);
        AssertStatus(arg, "etcdserver: invalid auth management",
            await FailsWith(() => auth.UserDeleteAsync(new AuthUserDeleteRequest { Name = "root" }, As(root)).ResponseAsync));
        AssertStatus(arg, "etcdserver: invalid auth management",
            await FailsWith(() => auth.RoleDeleteAsync(new AuthRoleDeleteRequest { Role = "root" }, As(root)).ResponseAsync));
        AssertStatus(arg, "etcdserver: invalid auth management",
            await FailsWith(() => auth.UserRevokeRoleAsync(new AuthUserRevokeRoleRequest { Name = "root", Role = "root" }, As(root)).ResponseAsync));
        AssertStatus(StatusCode.Unauthenticated, "etcdserver: invalid auth token",
            await FailsWith(() => auth.UserListAsync(new AuthUserListRequest(), As("abcdefghijklmnop.99")).ResponseAsync));
        Assert.Equal(["np", "root"], (await auth.UserListAsync(new AuthUserListRequest(), As(root))).Users);
        Assert.Equal(["r"], (await auth.RoleListAsync(new AuthRoleListRequest(), As(root))).Roles); // etcd grants the root role without a role record

        await auth.AuthDisableAsync(new AuthDisableRequest(), As(root));
        Assert.False((await auth.AuthStatusAsync(new AuthStatusRequest())).Enabled);
        await auth.UserDeleteAsync(new AuthUserDeleteRequest { Name = "root" }); // allowed once auth is off
    }

    [Fact]
    public async Task KeyPermissionsAreEnforcedOnKvTxnWatchAndLease()
    {
        await using GrpcHost host = await StartAsync();
        var (root, alice) = await EnableAsync(host);
        const StatusCode denied = StatusCode.PermissionDenied;
        const string deniedText = "etcdserver: permission denied";

        AssertStatus(StatusCode.InvalidArgument, "etcdserver: user name is empty",
            await FailsWith(() => host.Kv.PutAsync(new PutRequest { Key = B("/a/1"), Value = B("v") }).ResponseAsync));
        AssertStatus(StatusCode.InvalidArgument, "etcdserver: user name is empty",
            await FailsWith(() => host.Kv.RangeAsync(new RangeRequest { Key = B("/a/1") }).ResponseAsync));
        AssertStatus(StatusCode.Unauthenticated, "etcdserver: invalid auth token",
            await FailsWith(() => host.Kv.RangeAsync(new RangeRequest { Key = B("/a/1") }, As("nope")).ResponseAsync));

        await host.Kv.PutAsync(new PutRequest { Key = B("/a/1"), Value = B("v") }, As(alice));
        await host.Kv.PutAsync(new PutRequest { Key = B("/w/b"), Value = B("v") }, As(alice));
        await host.Kv.PutAsync(new PutRequest { Key = B("/r"), Value = B("v") }, As(root));
        await host.Kv.PutAsync(new PutRequest { Key = B("/x"), Value = B("secret") }, As(root));
        Assert.Single((await host.Kv.RangeAsync(new RangeRequest { Key = B("/a/"), RangeEnd = B("/a0") }, As(alice))).Kvs);
        Assert.Single((await host.Kv.RangeAsync(new RangeRequest { Key = B("/r"), Serializable = true }, As(alice))).Kvs);
        AssertStatus(denied, deniedText, await FailsWith(() => host.Kv.PutAsync(new PutRequest { Key = B("/r"), Value = B("v") }, As(alice)).ResponseAsync));
        AssertStatus(denied, deniedText, await FailsWith(() => host.Kv.RangeAsync(new RangeRequest { Key = B("/w/b") }, As(alice)).ResponseAsync));
        AssertStatus(denied, deniedText, await FailsWith(() => host.Kv.RangeAsync(new RangeRequest { Key = B("/a/"), RangeEnd = B("/b") }, As(alice)).ResponseAsync));
        AssertStatus(denied, deniedText, await FailsWith(() => host.Kv.RangeAsync(new RangeRequest { Key = B("\0"), RangeEnd = B("\0") }, As(alice)).ResponseAsync));
        AssertStatus(denied, deniedText,
            await FailsWith(() => host.Kv.PutAsync(new PutRequest { Key = B("/w/b"), Value = B("v"), PrevKv = true }, As(alice)).ResponseAsync));
        AssertStatus(denied, deniedText,
            await FailsWith(() => host.Kv.DeleteRangeAsync(new DeleteRangeRequest { Key = B("/w/a"), RangeEnd = B("/x") }, As(alice)).ResponseAsync));
        await host.Kv.DeleteRangeAsync(new DeleteRangeRequest { Key = B("/w/a"), RangeEnd = B("/w/c") }, As(alice));
        Assert.Equal(3, (await host.Kv.RangeAsync(new RangeRequest { Key = B("\0"), RangeEnd = B("\0") }, As(root))).Count);

        // Txn: every compare and every op of both branches, nested txns included; read-only txns too.
        var compareSecret = new TxnRequest { Compare = { new Compare { Key = B("/x"), Target = Compare.Types.CompareTarget.Version } } };
        compareSecret.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = B("/a/2"), Value = B("v") } });
        AssertStatus(denied, deniedText, await FailsWith(() => host.Kv.TxnAsync(compareSecret, As(alice)).ResponseAsync));
        var readOnly = new TxnRequest { Failure = { new RequestOp { RequestRange = new RangeRequest { Key = B("/x") } } } };
        AssertStatus(denied, deniedText, await FailsWith(() => host.Kv.TxnAsync(readOnly, As(alice)).ResponseAsync));
        var nested = new TxnRequest { Success = { new RequestOp { RequestTxn = new TxnRequest { Success = { new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = B("/x") } } } } } } };
        AssertStatus(denied, deniedText, await FailsWith(() => host.Kv.TxnAsync(nested, As(alice)).ResponseAsync));
        var allowed = new TxnRequest { Compare = { new Compare { Key = B("/a/1"), Target = Compare.Types.CompareTarget.Version, Version = 1 } } };
        allowed.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = B("/a/2"), Value = B("v") } });
        allowed.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = B("/r") } });
        Assert.True((await host.Kv.TxnAsync(allowed, As(alice))).Succeeded);

        // Watch: a refused create is answered created and canceled with etcd's reason.
        await using (var watch = new WatchCall(host.Watch, As(alice)))
        {
            await watch.CreateAsync(new WatchCreateRequest { Key = B("/x") });
            WatchResponse refused = await watch.NextAsync();
            Assert.True(refused is { Created: true, Canceled: true, WatchId: -1 });
            Assert.Equal("rpc error: code = PermissionDenied desc = " + deniedText, refused.CancelReason);
            await watch.CreateAsync(new WatchCreateRequest { Key = B("/a/"), RangeEnd = B("/a0") });
            WatchResponse created = await watch.NextAsync();
            Assert.True(created is { Created: true, Canceled: false });
        }
        await using (var anonymous = new WatchCall(host.Watch))
        {
            await anonymous.CreateAsync(new WatchCreateRequest { Key = B("/a/1") });
            Assert.Equal("rpc error: code = InvalidArgument desc = etcdserver: user name is empty", (await anonymous.NextAsync()).CancelReason);
        }

        // Lease: revoking needs write access to every attached key; TimeToLive shows keys only to who may read them.
        long lease = (await host.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 60 }, As(root))).ID;
        await host.Kv.PutAsync(new PutRequest { Key = B("/x/leased"), Value = B("v"), Lease = lease }, As(root));
        AssertStatus(denied, deniedText, await FailsWith(() => host.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease }, As(alice)).ResponseAsync));
        AssertStatus(denied, deniedText,
            await FailsWith(() => host.Lease.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = lease, Keys = true }, As(alice)).ResponseAsync));
        Assert.Equal(60, (await host.Lease.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = lease }, As(alice))).GrantedTTL);
        await host.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease }, As(root));

        // Maintenance that needs root; Status does not.
        AssertStatus(denied, deniedText, await FailsWith(() => host.Maintenance.HashKVAsync(new HashKVRequest(), As(alice)).ResponseAsync));
        AssertStatus(denied, deniedText, await FailsWith(() => host.Maintenance.DefragmentAsync(new DefragmentRequest(), As(alice)).ResponseAsync));
        AssertStatus(StatusCode.InvalidArgument, "etcdserver: user name is empty",
            await FailsWith(() => host.Maintenance.HashAsync(new HashRequest()).ResponseAsync));
        await host.Maintenance.HashKVAsync(new HashKVRequest(), As(root));
        await host.Maintenance.StatusAsync(new StatusRequest(), As(alice));

        // Self-service reads etcd allows: one's own user, a role one holds.
        Auth.AuthClient auth = AuthOf(host);
        Assert.Equal(["r"], (await auth.UserGetAsync(new AuthUserGetRequest { Name = "alice" }, As(alice))).Roles);
        Assert.Equal(3, (await auth.RoleGetAsync(new AuthRoleGetRequest { Role = "r" }, As(alice))).Perm.Count);
        AssertStatus(denied, deniedText, await FailsWith(() => auth.UserGetAsync(new AuthUserGetRequest { Name = "root" }, As(alice)).ResponseAsync));
        AssertStatus(denied, deniedText, await FailsWith(() => auth.RoleAddAsync(new AuthRoleAddRequest { Name = "evil" }, As(alice)).ResponseAsync));
        AssertStatus(denied, deniedText, await FailsWith(() => auth.AuthDisableAsync(new AuthDisableRequest(), As(alice)).ResponseAsync));

        // A permission change applies at once; a changed password ends the user's tokens.
        await auth.RoleRevokePermissionAsync(new AuthRoleRevokePermissionRequest { Role = "r", Key = B("/a/"), RangeEnd = B("/a0") }, As(root));
        AssertStatus(denied, deniedText, await FailsWith(() => host.Kv.RangeAsync(new RangeRequest { Key = B("/a/1") }, As(alice)).ResponseAsync));
        await auth.UserChangePasswordAsync(new AuthUserChangePasswordRequest { Name = "alice", Password = "new" }, As(root));
        AssertStatus(StatusCode.Unauthenticated, "etcdserver: invalid auth token",
            await FailsWith(() => host.Kv.RangeAsync(new RangeRequest { Key = B("/r") }, As(alice)).ResponseAsync));
        string again = await TokenAsync(host, "alice", "new");
        Assert.Single((await host.Kv.RangeAsync(new RangeRequest { Key = B("/r") }, As(again))).Kvs);
        await auth.UserDeleteAsync(new AuthUserDeleteRequest { Name = "alice" }, As(root));
        AssertStatus(StatusCode.Unauthenticated, "etcdserver: invalid auth token",
            await FailsWith(() => host.Kv.RangeAsync(new RangeRequest { Key = B("/r") }, As(again)).ResponseAsync));
    }

    [Fact]
    public async Task TheLessorRevokesExpiredLeasesWithKeysWhileAuthIsEnabled()
    {
        // etcd's lessor revokes as root (authStore.WithRoot); without it the revoke would fail "user name is empty".
        await using GrpcHost host = await StartAsync();
        var (root, _) = await EnableAsync(host);
        long lease = (await host.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 1 }, As(root))).ID;
        await host.Kv.PutAsync(new PutRequest { Key = B("/x/leased"), Value = B("v"), Lease = lease }, As(root));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        long count = 1;
        while (count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            count = (await host.Kv.RangeAsync(new RangeRequest { Key = B("/x/leased") }, As(root))).Count;
        }
        Assert.Equal(0, count);
    }

    [Fact]
    public async Task TokensExpireAfterTheirTtlWithoutUse()
    {
        await using GrpcHost host = await StartAsync(tokenTtlSeconds: 1);
        var (root, _) = await EnableAsync(host);
        await host.Kv.RangeAsync(new RangeRequest { Key = B("/a/1") }, As(root));
        await Task.Delay(2500);
        AssertStatus(StatusCode.Unauthenticated, "etcdserver: invalid auth token",
            await FailsWith(() => host.Kv.RangeAsync(new RangeRequest { Key = B("/a/1") }, As(root)).ResponseAsync));
    }
}
