using Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;

namespace KvStore.Differential.Tests.Hostile;

/// <summary>
/// Hostile credentials on an <see cref="AuthPair"/>: wrong passwords, unknown users, no token, invalid, expired and
/// foreign-signed tokens, and alice reaching outside [/app/, /app0) or for root's operations.
/// </summary>
internal static class AuthCases
{
    public const string AuthFailed = "InvalidArgument \"etcdserver: authentication failed, invalid user ID or password\"";
    public const string InvalidToken = "Unauthenticated \"etcdserver: invalid auth token\"";
    public const string Denied = "PermissionDenied \"etcdserver: permission denied\"";

    /// <summary>The cases; <paramref name="pair"/> signs tokens when they run (null to list their names).</summary>
    public static IEnumerable<HostileCase> For(AuthPair? pair) =>
    [
        new("auth: wrong password", AuthFailed, s => SignInAsync(s, "root", "nope")),
        new("auth: unknown user", AuthFailed, s => SignInAsync(s, "mallory", "x")),
        new("auth: empty user name", AuthFailed, s => SignInAsync(s, "", "x")),
        new("auth: no token", "InvalidArgument \"etcdserver: user name is empty\"", s => PutAsync(s, null, "/app/y")),
        new("auth: a token that is not a token", InvalidToken, s => PutAsync(s, Token("not-a-token"), "/app/y")),
        new("auth: expired token", InvalidToken, s =>
            PutAsync(s, Token(pair!.SignToken("member.key", "root", 1, DateTimeOffset.UtcNow.AddMinutes(-5))), "/app/y")),
        new("auth: token signed with another key", InvalidToken, s =>
            PutAsync(s, Token(pair!.SignToken("stranger.key", "root", 1, DateTimeOffset.UtcNow.AddMinutes(5))), "/app/y")),
        new("auth: token with a tampered signature", InvalidToken, async s =>
        {
            string token = pair!.SignToken("member.key", "root", 1, DateTimeOffset.UtcNow.AddMinutes(5));
            return await PutAsync(s, Token(token[..^4] + (token[^4] == 'A' ? "BBBB" : "AAAA")), "/app/y");
        }),
        new("auth: signed token of a user that does not exist", Denied, s =>
            RangeAsync(s, Token(pair!.SignToken("member.key", "mallory", 100, DateTimeOffset.UtcNow.AddMinutes(5))), "/app/x")),
        new("auth: alice puts outside her range", Denied, async s => await PutAsync(s, await AliceAsync(s), "/other")),
        new("auth: alice reads outside her range", Denied, async s => await RangeAsync(s, await AliceAsync(s), "a")),
        new("auth: alice deletes a range wider than hers", Denied, async s =>
            Outcome.Of(await s.Kv.DeleteRangeAsync(new DeleteRangeRequest { Key = RequestCases.B("/app/"), RangeEnd = RequestCases.B("/b") },
                HostileSide.As(await AliceAsync(s))))),
        new("auth: alice's txn writes outside in its else branch", Denied, async s =>
            Outcome.Of(await s.Kv.TxnAsync(new TxnRequest
            {
                Compare = { new Compare { Key = RequestCases.B("/app/x"), Target = Compare.Types.CompareTarget.Version, Version = 0 } },
                Success = { new RequestOp { RequestRange = new RangeRequest { Key = RequestCases.B("/app/x") } } },
                Failure = { new RequestOp { RequestPut = new PutRequest { Key = RequestCases.B("/other"), Value = RequestCases.B("v") } } },
            }, HostileSide.As(await AliceAsync(s))))),
        new("auth: alice watches outside her range", "watch created=true canceled=true id=-1 reason=\"rpc error: code = PermissionDenied desc = etcdserver: permission denied\"", async s =>
        {
            using GrpcChannel channel = s.NewChannel();
            using var call = new Watch.WatchClient(channel).Watch(HostileSide.As(await AliceAsync(s)));
            await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = RequestCases.B("a") } });
            return await RequestCases.NextAsync(call);
        }),
        new("auth: alice asks for HashKV (root only)", Denied, async s =>
            $"OK hash {(await new Maintenance.MaintenanceClient(s.Channel).HashKVAsync(new HashKVRequest(), HostileSide.As(await AliceAsync(s)))).Hash}")
        {
            Etcd34 = "Unknown \"auth: permission denied\"",
            Why = "etcd 3.4's maintenance server returns the auth store's unmapped error; etcd 3.5 maps it, and kvstore answers as 3.5",
        },
        new("auth: alice adds a user", Denied, async s =>
        {
            await new Auth.AuthClient(s.Channel).UserAddAsync(new AuthUserAddRequest { Name = "eve", Password = "x" }, HostileSide.As(await AliceAsync(s)));
            return "OK";
        }),
        new("auth: alice grants herself root", Denied, async s =>
        {
            await new Auth.AuthClient(s.Channel).UserGrantRoleAsync(new AuthUserGrantRoleRequest { User = "alice", Role = "root" }, HostileSide.As(await AliceAsync(s)));
            return "OK";
        }),
        new("auth: alice disables auth", Denied, async s =>
        {
            await new Auth.AuthClient(s.Channel).AuthDisableAsync(new AuthDisableRequest(), HostileSide.As(await AliceAsync(s)));
            return "OK";
        }),
    ];

    private static Metadata Token(string token) => new() { { "token", token } };

    private static async Task<string> SignInAsync(HostileSide s, string user, string password)
    {
        await new Auth.AuthClient(s.Channel).AuthenticateAsync(new AuthenticateRequest { Name = user, Password = password }, HostileSide.As(null));
        return "OK signed in";
    }

    private static async Task<Metadata> AliceAsync(HostileSide s)
    {
        var reply = await new Auth.AuthClient(s.Channel).AuthenticateAsync(new AuthenticateRequest { Name = "alice", Password = "alicepw" }, HostileSide.As(null));
        return Token(reply.Token);
    }

    private static async Task<string> PutAsync(HostileSide s, Metadata? token, string key)
    {
        await s.Kv.PutAsync(new PutRequest { Key = RequestCases.B(key), Value = RequestCases.B("v") }, HostileSide.As(token));
        return "OK";
    }

    private static async Task<string> RangeAsync(HostileSide s, Metadata? token, string key) =>
        Outcome.Of(await s.Kv.RangeAsync(new RangeRequest { Key = RequestCases.B(key) }, HostileSide.As(token)));
}
