using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace KvStore.Etcdctl.Tests;

/// <summary>
/// etcd 3.4's JWT token provider (--auth-token jwt,pub-key=..,priv-key=..,sign-method=..,ttl=..): a real etcd
/// 3.4 and kvstore started with the same flags and the same openssl keys give the same etcdctl output, the same
/// startup errors, refuse the same tokens (expired, tampered, stale auth revision) with the same status, accept
/// each other's tokens, and a three-member cluster accepts on every member a token minted by any member.
/// </summary>
public sealed partial class JwtAuthTests(JwtKeys keys) : IClassFixture<JwtKeys>
{
    private static readonly string[] Root = ["--user", "root:rootpw"];

    [Fact]
    public async Task BadAuthTokenFlagsStopTheMemberWithEtcdsError()
    {
        string missing = Path.Combine(keys.Dir, "nosuch.pub");
        var cases = new[]
        {
            $"--auth-token=jwt,pub-key={missing},sign-method=RS256",
            $"--auth-token=jwt,priv-key={keys.Path("rsa.key")},sign-method=RS999",
            "--auth-token=bogus",
            $"--auth-token=jwt,sign-method=RS256,priv-key",
            $"--auth-token=jwt,sign-method=RS256,sign-method=RS256,priv-key={keys.Path("rsa.key")}",
            "--auth-token=jwt,sign-method=RS256",
            "--auth-token=jwt,sign-method=ES256",
            "--auth-token=jwt,sign-method=HS256",
            $"--auth-token=jwt,priv-key={keys.Path("ec256.key")},sign-method=RS256",
            $"--auth-token=jwt,priv-key={keys.Path("rsa.key")},sign-method=ES256",
            $"--auth-token=jwt,pub-key={keys.Path("ec256.pub")},priv-key={keys.Path("rsa.key")},sign-method=RS256",
            $"--auth-token=jwt,pub-key={keys.Path("rsa.pub")},sign-method=ES384",
            $"--auth-token=jwt,priv-key={keys.Path("rsa.key")},sign-method=EdDSA",
            $"--auth-token=jwt,priv-key={keys.Path("rsa.key")},sign-method=none",
            $"--auth-token=jwt,priv-key={keys.Path("rsa.key")},sign-method=RS256,ttl=5x",
            $"--auth-token=jwt,priv-key={keys.Path("hmac.key")},sign-method=RS256",
        };
        foreach (string flag in cases)
        {
            string etcdError = FatalError(FailedStart(isEtcd: true, flag));
            string kvOutput = FailedStart(isEtcd: false, flag);
            Assert.True(kvOutput.Contains(etcdError, StringComparison.Ordinal), $"{flag}\netcd: {etcdError}\nkvstore: {kvOutput}");
        }
    }

    /// <summary>The output of a member that must exit before it serves.</summary>
    private static string FailedStart(bool isEtcd, string flag)
    {
        var e = Assert.Throws<InvalidOperationException>(() => ServerProcess.Start(isEtcd, flag).Dispose());
        Assert.Contains("did not get ready", e.Message, StringComparison.Ordinal);
        return e.Message;
    }

    /// <summary>etcd's fatal line: "... C | etcdmain: auth: invalid auth options".</summary>
    private static string FatalError(string output)
    {
        Match m = EtcdFatal().Match(output);
        Assert.True(m.Success, output);
        return m.Groups[1].Value.TrimEnd();
    }

    [GeneratedRegex(@"C \| etcdmain: (.+)")]
    private static partial Regex EtcdFatal();

    [Theory]
    [InlineData("RS256")]
    [InlineData("RS512")]
    [InlineData("PS256")]
    [InlineData("ES256")]
    [InlineData("ES384")]
    [InlineData("ES512")]
    [InlineData("HS256")]
    public async Task EtcdctlWithJwtPrintsTheSame(string method)
    {
        using var pair = new PairFixture([keys.AuthToken(method, ttl: "10m")]);
        Task<Ctl.Result> Same(params string[] args) => Compare.SameAsync(pair, args);
        await Same("user", "add", "root", "--new-user-password=rootpw");
        await Same("role", "add", "r");
        await Same("role", "grant-permission", "r", "readwrite", "/a", "--prefix");
        await Same("user", "add", "alice", "--new-user-password=apw");
        await Same("user", "grant-role", "alice", "r");
        Assert.Equal("Authentication Enabled", (await Same("auth", "enable")).Out.Trim());
        Assert.Equal("OK", (await Same("--user", "alice:apw", "put", "/a/1", "x")).Out.Trim());
        Assert.Contains("/a/1", (await Same("--user", "alice:apw", "get", "/a", "--prefix")).Out, StringComparison.Ordinal);
        Assert.Contains("permission denied", (await Same("--user", "alice:apw", "put", "/b", "x")).Err, StringComparison.Ordinal);
        Assert.Contains("invalid user ID or password", (await Same("--user", "alice:wrong", "get", "/a/1")).Err, StringComparison.Ordinal);
        Assert.Contains("user name is empty", (await Same("get", "/a/1")).Err, StringComparison.Ordinal);
        await Same([.. Root, "user", "list"]);
        await Same([.. Root, "role", "revoke-permission", "r", "/a", "--prefix"]);
        Assert.Contains("permission denied", (await Same("--user", "alice:apw", "get", "/a/1")).Err, StringComparison.Ordinal);
        await Same([.. Root, "user", "delete", "alice"]);
        await Same("--user", "alice:apw", "get", "/a/1");
        Assert.Equal("Authentication Disabled", (await Same([.. Root, "auth", "disable"])).Out.Trim());
        await Same("get", "/a/1");
    }

    [Theory]
    [InlineData("RS256")]
    [InlineData("PS384")]
    [InlineData("ES256")]
    [InlineData("HS512")]
    public async Task TokensOfEtcdAndKvStoreAreInterchangeable(string method)
    {
        using var pair = new PairFixture([keys.AuthToken(method)]);
        foreach (var server in new[] { pair.Etcd, pair.Kv })
        {
            await EnableAuthAsync(server.Url);
        }
        using var etcd = GrpcChannel.ForAddress(pair.Etcd.Url);
        using var kv = GrpcChannel.ForAddress(pair.Kv.Url);
        string etcdToken = await TokenAsync(etcd);
        string kvToken = await TokenAsync(kv);

        // The same header and claims (exp is now + ttl, in whole seconds, on either side).
        Assert.Equal(Header(etcdToken), Header(kvToken));
        Assert.Equal(["exp", "revision", "username"], ClaimNames(kvToken));
        Assert.Equal(Claims(etcdToken).GetProperty("revision").GetUInt64(), Claims(kvToken).GetProperty("revision").GetUInt64());
        Assert.Equal("root", Claims(kvToken).GetProperty("username").GetString());
        long exp = Claims(kvToken).GetProperty("exp").GetInt64();
        Assert.InRange(exp - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 290, 301); // etcd's default ttl, 5 minutes

        // Each member accepts the other's token: stateless, only the key matters.
        foreach (var (channel, token) in new[] { (etcd, kvToken), (kv, etcdToken), (etcd, etcdToken), (kv, kvToken) })
        {
            Assert.Equal((StatusCode.OK, ""), await PutAsync(channel, token, "/k", "v"));
            Assert.Equal((StatusCode.OK, ""), await RangeAsync(channel, token, "/k"));
        }

        // A token changed anywhere is refused the same way by both.
        foreach (string bad in new[] { Tamper(etcdToken, 1), Tamper(kvToken, 2), Tamper(kvToken, 0), "abc", kvToken + "x", "a.b.c" })
        {
            var fromEtcd = await RangeAsync(etcd, bad, "/k");
            Assert.Equal((StatusCode.Unauthenticated, "etcdserver: invalid auth token"), fromEtcd);
            Assert.Equal(fromEtcd, await RangeAsync(kv, bad, "/k"));
        }
    }

    [Fact]
    public async Task ExpiredAndStaleTokensAreRefusedAsEtcdRefusesThem()
    {
        using var pair = new PairFixture([keys.AuthToken("ES256", ttl: "15s")]);
        foreach (var server in new[] { pair.Etcd, pair.Kv })
        {
            await EnableAuthAsync(server.Url);
        }
        var results = new Dictionary<string, List<(StatusCode, string)>>();
        foreach (var server in new[] { pair.Etcd, pair.Kv })
        {
            using var channel = GrpcChannel.ForAddress(server.Url);
            var seen = results[server.Name] = [];
            string token = await TokenAsync(channel);
            seen.Add(await PutAsync(channel, token, "/k", "1"));
            // Any auth change moves the auth revision: a JWT minted before it is stale for every request.
            Assert.Equal(0, (await Ctl.RunAsync(server.Url, [.. Root, "user", "add", "bob", "--new-user-password=b"])).Exit);
            seen.Add(await PutAsync(channel, token, "/k", "2"));
            seen.Add(await RangeAsync(channel, token, "/k"));
            string fresh = await TokenAsync(channel);
            seen.Add(await RangeAsync(channel, fresh, "/k"));
            // ttl=15s (room for slow calls above on a busy machine: with 6 s, a full-suite run saw kvstore's freshly
            // minted token already expired at its first put): exp is whole seconds, so the token is gone at most 16 s
            // after it was minted, and no use extends it.
            await Task.Delay(TimeSpan.FromSeconds(16.2));
            seen.Add(await RangeAsync(channel, fresh, "/k"));
            seen.Add(await PutAsync(channel, fresh, "/k", "3"));
            // etcdctl authenticates on every run, so it goes on working.
            seen.Add((StatusCode.OK, (await Ctl.RunAsync(server.Url, [.. Root, "get", "/k", "--print-value-only"])).Out.Trim()));
        }
        Assert.Equal(
            [
                (StatusCode.OK, ""),
                (StatusCode.InvalidArgument, "etcdserver: revision of auth store is old"),
                (StatusCode.InvalidArgument, "etcdserver: revision of auth store is old"),
                (StatusCode.OK, ""),
                (StatusCode.Unauthenticated, "etcdserver: invalid auth token"),
                (StatusCode.Unauthenticated, "etcdserver: invalid auth token"),
                (StatusCode.OK, "1"),
            ],
            results["etcd"]);
        Assert.Equal(results["etcd"], results["kvstore"]);
    }

    [Fact]
    public async Task CraftedTokensAreJudgedAsEtcdJudgesThem()
    {
        using var pair = new PairFixture([keys.AuthToken("RS256")]);
        using var rsa = System.Security.Cryptography.RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(keys.Path("rsa.key")));
        var results = new Dictionary<string, List<(string, StatusCode, string)>>();
        foreach (var server in new[] { pair.Etcd, pair.Kv })
        {
            await EnableAuthAsync(server.Url);
            using var channel = GrpcChannel.ForAddress(server.Url);
            ulong rev = Claims(await TokenAsync(channel)).GetProperty("revision").GetUInt64();
            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var cases = new (string Name, string Alg, string Claims)[]
            {
                ("valid", "RS256", $$"""{"exp":{{now + 60}},"revision":{{rev}},"username":"root"}"""),
                ("no exp", "RS256", $$"""{"revision":{{rev}},"username":"root"}"""),
                ("other claims, fractional exp", "RS256", $$"""{"username":"root","revision":{{rev}},"exp":{{now + 60}}.5,"iss":"x","aud":"y","sub":"z"}"""),
                ("expired", "RS256", $$"""{"exp":{{now - 5}},"revision":{{rev}},"username":"root"}"""),
                ("exp not a number", "RS256", $$"""{"exp":"{{now + 60}}","revision":{{rev}},"username":"root"}"""),
                ("not yet valid", "RS256", $$"""{"nbf":{{now + 60}},"revision":{{rev}},"username":"root"}"""),
                ("issued in the future", "RS256", $$"""{"iat":{{now + 60}},"revision":{{rev}},"username":"root"}"""),
                ("issued and valid before now", "RS256", $$"""{"iat":{{now - 60}},"nbf":{{now - 60}},"revision":{{rev}},"username":"root"}"""),
                ("stale revision", "RS256", $$"""{"revision":{{rev - 1}},"username":"root"}"""),
                ("revision 0", "RS256", """{"revision":0,"username":"root"}"""),
                ("unknown user", "RS256", $$"""{"revision":{{rev}},"username":"mallory"}"""),
                ("other method, same key", "RS512", $$"""{"revision":{{rev}},"username":"root"}"""),
                ("PSS, same key", "PS256", $$"""{"revision":{{rev}},"username":"root"}"""),
                ("unsigned", "none", $$"""{"revision":{{rev}},"username":"root"}"""),
            };
            var seen = results[server.Name] = [];
            foreach (var (name, alg, claims) in cases)
            {
                var (code, detail) = await RangeAsync(channel, Sign(rsa, alg, claims), "/k");
                seen.Add((name, code, detail));
            }
        }
        const string invalid = "etcdserver: invalid auth token";
        Assert.Equal(
            [
                (StatusCode.OK, ""), (StatusCode.OK, ""), (StatusCode.OK, ""),
                (StatusCode.Unauthenticated, invalid), (StatusCode.Unauthenticated, invalid), (StatusCode.Unauthenticated, invalid),
                (StatusCode.Unauthenticated, invalid), (StatusCode.OK, ""),
                (StatusCode.InvalidArgument, "etcdserver: revision of auth store is old"),
                (StatusCode.InvalidArgument, "etcdserver: user name is empty"),
                (StatusCode.PermissionDenied, "etcdserver: permission denied"),
                (StatusCode.Unauthenticated, invalid), (StatusCode.Unauthenticated, invalid), (StatusCode.Unauthenticated, invalid),
            ],
            results["etcd"].Select(r => (r.Item2, r.Item3)).ToList());
        Assert.Equal(results["etcd"], results["kvstore"]);
    }

    /// <summary>A JWS over <paramref name="claims"/> as given, signed with the RSA key (or not at all for "none").</summary>
    private static string Sign(System.Security.Cryptography.RSA rsa, string alg, string claims)
    {
        static string B64(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        string input = B64(Encoding.UTF8.GetBytes($$"""{"alg":"{{alg}}","typ":"JWT"}""")) + "." + B64(Encoding.UTF8.GetBytes(claims));
        byte[] data = Encoding.ASCII.GetBytes(input);
        byte[] signature = alg switch
        {
            "none" => [],
            "RS256" => rsa.SignData(data, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1),
            "RS512" => rsa.SignData(data, System.Security.Cryptography.HashAlgorithmName.SHA512, System.Security.Cryptography.RSASignaturePadding.Pkcs1),
            _ => rsa.SignData(data, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pss),
        };
        return input + "." + B64(signature);
    }

    [Fact]
    public async Task APublicKeyAloneVerifiesTokensAndMintsNone()
    {
        using var pair = new PairFixture([keys.AuthToken("RS256", priv: false)]);
        await Compare.SameAsync(pair, "user", "add", "root", "--new-user-password=rootpw");
        await Compare.SameAsync(pair, "auth", "enable");
        var refused = await Compare.SameAsync(pair, [.. Root, "get", "/k"]);
        Assert.Contains("auth: token signing attempted with verify-only key", refused.Err, StringComparison.Ordinal);

        // A member holding the private key mints; both verify-only members accept its token.
        using var signer = ServerProcess.Start(isEtcd: false, keys.AuthToken("RS256"));
        await EnableAuthAsync(signer.Url);
        using var signerChannel = GrpcChannel.ForAddress(signer.Url);
        string token = await TokenAsync(signerChannel);
        foreach (var server in new[] { pair.Etcd, pair.Kv })
        {
            using var channel = GrpcChannel.ForAddress(server.Url);
            Assert.Equal((StatusCode.OK, ""), await RangeAsync(channel, token, "/k"));
            var ex = await Assert.ThrowsAsync<RpcException>(async () => await new Auth.AuthClient(channel).AuthenticateAsync(
                new AuthenticateRequest { Name = "root", Password = "rootpw" }));
            Assert.Equal((StatusCode.Unknown, "auth: token signing attempted with verify-only key"), (ex.StatusCode, ex.Status.Detail));
        }

        // A token signed by another key is refused.
        using var stranger = ServerProcess.Start(isEtcd: false, keys.AuthToken("RS256", pub: false, key: "rsa2"));
        await EnableAuthAsync(stranger.Url);
        using var strangerChannel = GrpcChannel.ForAddress(stranger.Url);
        string foreign = await TokenAsync(strangerChannel);
        foreach (var server in new[] { pair.Etcd, pair.Kv })
        {
            using var channel = GrpcChannel.ForAddress(server.Url);
            Assert.Equal((StatusCode.Unauthenticated, "etcdserver: invalid auth token"), await RangeAsync(channel, foreign, "/k"));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ThreeMembersAcceptATokenMintedByAnyOfThem(bool isEtcd)
    {
        using var cluster = await ThreeMembers.StartAsync(isEtcd, keys.AuthToken("ES256", ttl: "1m"));
        await EnableAuthAsync(cluster.Url(0));
        var channels = Enumerable.Range(0, 3).Select(i => GrpcChannel.ForAddress(cluster.Url(i))).ToList();
        try
        {
            for (int minter = 0; minter < 3; minter++)
            {
                string token = await TokenAsync(channels[minter]);
                for (int user = 0; user < 3; user++)
                {
                    string key = $"/from{minter}/at{user}";
                    Assert.Equal((StatusCode.OK, ""), await PutAsync(channels[user], token, key, "v"));
                    // A linearizable read on the next member, with the same token.
                    int reader = (user + 1) % 3;
                    var range = await new KV.KVClient(channels[reader]).RangeAsync(
                        new RangeRequest { Key = ByteString.CopyFromUtf8(key) }, new Metadata { { "token", token } });
                    Assert.Equal("v", Assert.Single(range.Kvs).Value.ToStringUtf8());
                    Assert.Equal((StatusCode.Unauthenticated, "etcdserver: invalid auth token"), await RangeAsync(channels[user], Tamper(token, 2), key));
                }
            }
            for (int i = 0; i < 3; i++)
            {
                var r = await Ctl.RunAsync(cluster.Url(i), [.. Root, "get", "/from", "--prefix", "--keys-only"]);
                Assert.True(r.Exit == 0, r.ToString());
                Assert.Equal(9, r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            }
        }
        finally
        {
            channels.ForEach(c => c.Dispose());
        }
    }

    private static async Task EnableAuthAsync(string url)
    {
        foreach (var args in new[] { new[] { "user", "add", "root", "--new-user-password=rootpw" }, ["auth", "enable"] })
        {
            var r = await Ctl.RunAsync(url, args);
            Assert.True(r.Exit == 0, r.ToString());
        }
    }

    private static async Task<string> TokenAsync(GrpcChannel channel) =>
        (await new Auth.AuthClient(channel).AuthenticateAsync(new AuthenticateRequest { Name = "root", Password = "rootpw" })).Token;

    private static Task<(StatusCode, string)> PutAsync(GrpcChannel channel, string token, string key, string value) =>
        Try(async () => await new KV.KVClient(channel).PutAsync(
            new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) }, new Metadata { { "token", token } }));

    private static Task<(StatusCode, string)> RangeAsync(GrpcChannel channel, string token, string key) =>
        Try(async () => await new KV.KVClient(channel).RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key) }, new Metadata { { "token", token } }));

    private static async Task<(StatusCode, string)> Try(Func<Task> call)
    {
        try
        {
            await call();
            return (StatusCode.OK, "");
        }
        catch (RpcException e)
        {
            return (e.StatusCode, e.Status.Detail);
        }
    }

    /// <summary>The token with one character of part <paramref name="part"/> (header, claims, signature) changed.</summary>
    private static string Tamper(string token, int part)
    {
        string[] parts = token.Split('.');
        char[] chars = parts[part].ToCharArray();
        int i = chars.Length / 2;
        chars[i] = chars[i] == 'A' ? 'B' : 'A';
        parts[part] = new string(chars);
        return string.Join('.', parts);
    }

    private static string Header(string token) => Encoding.UTF8.GetString(Base64Url(token.Split('.')[0]));

    private static JsonElement Claims(string token) => JsonDocument.Parse(Base64Url(token.Split('.')[1])).RootElement.Clone();

    private static List<string> ClaimNames(string token) => [.. Claims(token).EnumerateObject().Select(p => p.Name)];

    private static byte[] Base64Url(string s) => Convert.FromBase64String(s.Replace('-', '+').Replace('_', '/') + new string('=', (4 - s.Length % 4) % 4));
}
