namespace KvStore.Etcdctl.Tests;

/// <summary>
/// user, role and auth commands of etcdctl 3.4 against etcd and kvstore, output compared: management, enable,
/// access allowed and denied by role permissions, admin-only commands, etcd's guards on root, disable.
/// Each test class gets its own pair (auth, once enabled, changes what every later command needs).
/// </summary>
public sealed class AuthTests(PairFixture pair) : IClassFixture<PairFixture>
{
    private static readonly string[] Root = ["--user", "root:rootpw"];
    private static readonly string[] Alice = ["--user", "alice:apw"];

    private Task<Ctl.Result> Same(params string[] args) => Compare.SameAsync(pair, args);

    private Task<Ctl.Result> Same(string[] user, params string[] args) => Compare.SameAsync(pair, [.. user, .. args]);

    [Fact]
    public async Task UsersRolesPermissionsAndEnforcementPrintTheSame()
    {
        Assert.Contains("root user does not exist", (await Same("auth", "enable")).Err);
        await Same("user", "add", "root", "--new-user-password=rootpw");
        await Same("role", "add", "r1");
        await Same("role", "add", "r1");
        await Same("role", "add", "");
        await Same("role", "grant-permission", "r1", "readwrite", "/foo", "--prefix");
        await Same("role", "grant-permission", "r1", "read", "/ro");
        await Same("role", "grant-permission", "r1", "write", "/wo/a", "/wo/z");
        await Same("role", "grant-permission", "nosuch", "read", "/x");
        await Same("user", "add", "alice", "--new-user-password=apw");
        await Same("user", "add", "alice", "--new-user-password=apw");
        await Same("user", "grant-role", "alice", "r1");
        await Same("user", "grant-role", "alice", "nosuch");
        await Same("user", "grant-role", "nobody", "r1");
        await Same("user", "list");
        await Same("role", "list");
        await Same("user", "get", "alice");
        await Same("user", "get", "alice", "--detail");
        await Same("user", "get", "nobody");
        await Same("role", "get", "r1");
        await Same("role", "get", "nosuch");

        // etcdctl's auth enable creates the root role and grants it to root when it is missing.
        Assert.Equal("Authentication Enabled", (await Same("auth", "enable")).Out.Trim());
        await Same("user", "get", "root");
        Assert.Contains("user name is empty", (await Same("get", "/foo/a")).Err);
        Assert.Contains("user name is empty", (await Same("put", "/foo/a", "x")).Err);

        Assert.Equal("OK", (await Same(Alice, "put", "/foo/a", "1")).Out.Trim());
        await Same(Alice, "get", "/foo", "--prefix");
        Assert.Contains("permission denied", (await Same(Alice, "put", "/bar", "1")).Err);
        Assert.Contains("permission denied", (await Same(Alice, "get", "", "--prefix")).Err);
        Assert.Contains("invalid user ID or password", (await Same(["--user", "alice:wrong"], "get", "/foo/a")).Err);
        await Same(["--user", "nobody:x"], "get", "/foo/a");
        await Same(Alice, "put", "/ro", "x");
        await Same(Alice, "get", "/ro");
        await Same(Alice, "get", "/wo/b");
        await Same(Alice, "put", "/wo/b", "x");
        await Same(Alice, "del", "/wo/b");
        await Same(Alice, "del", "/wo/b", "--prev-kv");
        await Same(Alice, "txn", "--interactive=false");
        await Compare.SameAsync(pair, _ => [.. Alice, "txn"], input: "value(\"/foo/a\") = \"1\"\n\nput /foo/b 2\n\nput /foo/c 3\n\n");
        await Compare.SameAsync(pair, _ => [.. Alice, "txn"], input: "value(\"/bar\") = \"1\"\n\nput /foo/b 2\n\n\n");
        await Compare.SameAsync(pair, _ => [.. Alice, "txn"], input: "\nput /foo/b 2\n\nget /secret\n\n");

        await Same(Root, "user", "list");
        await Same(Alice, "user", "list");
        await Same(Alice, "role", "list");
        await Same(Alice, "user", "add", "mallory", "--new-user-password=m");
        await Same(Alice, "user", "get", "alice");
        await Same(Alice, "user", "get", "root");
        await Same(Alice, "role", "get", "r1");
        await Same(Alice, "role", "get", "root");
        await Same(Root, "role", "revoke-permission", "r1", "/ro");
        await Same(Root, "role", "revoke-permission", "r1", "/ro");
        await Same(Root, "user", "revoke-role", "root", "root");
        await Same(Root, "user", "revoke-role", "alice", "root");
        await Same(Root, "role", "delete", "root");
        await Same(Root, "user", "delete", "root");
        await Same(Root, "get", "/foo", "--prefix");
        await Same(Alice, "get", "/ro");

        // A changed password: the old one fails, the new one works.
        await Compare.SameAsync(pair, _ => [.. Root, "user", "passwd", "alice", "--interactive=false"], input: "apw2\n");
        Assert.Contains("invalid user ID or password", (await Same(Alice, "get", "/foo/a")).Err);
        await Same(["--user", "alice:apw2"], "get", "/foo/a");

        Assert.Contains("permission denied", (await Same(["--user", "alice:apw2"], "auth", "disable")).Err);
        Assert.Equal("Authentication Disabled", (await Same(Root, "auth", "disable")).Out.Trim());
        await Same("get", "/foo", "--prefix");
        await Same(Root, "get", "/foo", "--prefix"); // clientv3 goes on without a token when auth is not enabled
        await Same("user", "delete", "alice");
        await Same("user", "delete", "alice");
        await Same("role", "delete", "r1");
        await Same("role", "list");
        await Same("user", "get", "root");
    }
}

/// <summary>kvstore alone: admin-only maintenance refused to other users, and auth state surviving SIGKILL.</summary>
public sealed class AuthKvStoreTests
{
    private static async Task<Ctl.Result> Ok(string url, params string[] args)
    {
        var r = await Ctl.RunAsync(url, args);
        Assert.True(r.Exit == 0, $"etcdctl {string.Join(' ', args)}: {r}");
        return r;
    }

    private static async Task<Ctl.Result> Fails(string url, string error, params string[] args)
    {
        var r = await Ctl.RunAsync(url, args);
        Assert.True(r.Exit != 0 && (r.Err + r.Out).Contains(error, StringComparison.Ordinal), $"etcdctl {string.Join(' ', args)}: {r}");
        return r;
    }

    [Fact]
    public async Task AdminOnlyMaintenanceIsRefusedAndAuthSurvivesSigkill()
    {
        using var kv = ServerProcess.StartKvStore();
        string url = kv.Url;
        await Ok(url, "user", "add", "root", "--new-user-password=rootpw");
        await Ok(url, "user", "add", "bob", "--new-user-password=bpw");
        await Ok(url, "role", "add", "reader");
        await Ok(url, "role", "grant-permission", "reader", "read", "/pub/", "--prefix");
        await Ok(url, "user", "grant-role", "bob", "reader");
        await Ok(url, "auth", "enable");
        await Ok(url, "--user", "root:rootpw", "put", "/pub/a", "1");

        // etcd 3.4 answers these with the auth store's unmapped error (Unknown "auth: permission denied"); etcd 3.5,
        // which kvstore follows, maps it to PermissionDenied "etcdserver: permission denied".
        await Fails(url, "etcdserver: permission denied", "--user", "bob:bpw", "endpoint", "hashkv");
        await Fails(url, "permission denied", "--user", "bob:bpw", "defrag");
        await Fails(url, "permission denied", "--user", "bob:bpw", "snapshot", "save", Path.Combine(kv.Scratch, "bob.db"));
        await Ok(url, "--user", "root:rootpw", "endpoint", "hashkv");
        await Ok(url, "--user", "root:rootpw", "snapshot", "save", Path.Combine(kv.Scratch, "root.db"));
        await Ok(url, "--user", "bob:bpw", "endpoint", "status"); // Status needs no permission

        kv.Restart(); // SIGKILL, same data dir and ports: users, roles, permissions and the enabled flag are kept

        await Fails(url, "user name is empty", "get", "/pub/a");
        Assert.Equal("1", (await Ok(url, "--user", "bob:bpw", "get", "/pub/a", "--print-value-only")).Out.Trim());
        await Fails(url, "permission denied", "--user", "bob:bpw", "put", "/pub/a", "2");
        await Fails(url, "invalid user ID or password", "--user", "bob:wrong", "get", "/pub/a");
        Assert.Contains("[/pub/, /pub0)", (await Ok(url, "--user", "root:rootpw", "role", "get", "reader")).Out);
        await Ok(url, "--user", "root:rootpw", "auth", "disable");

        kv.Restart();
        await Ok(url, "get", "/pub/a");
        Assert.Equal("bob\nroot", (await Ok(url, "user", "list")).Out.Trim().Replace("\r", ""));
    }
}
