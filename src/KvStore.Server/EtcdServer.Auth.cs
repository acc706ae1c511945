using Etcdserverpb;
using KvStore.Mvcc;
using KvStore.Server.Apply;
using Microsoft.Extensions.Logging;

namespace KvStore.Server;

public sealed partial class EtcdServer
{
    /// <summary>The member's token provider (--auth-token): simple, jwt or nop.</summary>
    private readonly ITokenProvider _tokens;

    private ITokenProvider Tokens => _tokens;

    private string? _rootToken;

    private static ITokenProvider CreateTokenProvider(ServerConfig config, ILogger logger)
    {
        ITokenProvider tokens = TokenProviders.Create(config.AuthToken, TimeSpan.FromSeconds(config.AuthTokenTtlSeconds), out var unknown);
        if (unknown.Count > 0) Log.UnknownJwtOptions(logger, string.Join(' ', unknown));
        if (tokens is SimpleTokens) Log.SimpleTokenNotSigned(logger);
        return tokens;
    }

    /// <summary>
    /// etcd's WithRoot: a token of root minted on this member only, for the member's own proposals that must pass
    /// the auth checks (the lessor's revokes of leases with keys); null while auth is disabled, or when the
    /// provider cannot mint one (a verify-only JWT key, nop: etcd then proposes without a token, too).
    /// </summary>
    private string? RootToken()
    {
        if (!_store.AuthEnabled) return null;
        long now = Environment.TickCount64;
        ulong revision = _store.AuthRevision;
        if (_rootToken is { } cached && Tokens.Info(cached, revision, now) is { } info && info.Revision >= revision) return cached;
        return _rootToken = Tokens.Assign(AuthRootUser, Tokens.NewPrefix(), 0, revision, now, out _);
    }

    private const string AuthRootUser = "root";

    /// <inheritdoc/>
    public MvccError ResolveAuth(out AuthInfo? info)
    {
        info = null;
        if (RequestAuth.Token is not { } token)
        {
            // etcd's AuthInfoFromCtx: without a token, --client-cert-auth makes the certificate's CN the user, at
            // the current auth revision; a token, valid or not, always decides first.
            if (Config.ClientCertAuth && RequestAuth.CommonName is { } commonName) info = new AuthInfo(commonName, _store.AuthRevision);
            return MvccError.None;
        }
        // etcd's AuthInfoFromCtx: a token the provider does not accept (simple: never minted here, expired, its
        // user changed; jwt: bad signature or method, expired) is invalid. A JWT carries the auth revision it was
        // minted at, which the permission checks compare with the store's ("revision of auth store is old").
        info = Tokens.Info(token, _store.AuthRevision, Environment.TickCount64);
        return info is null ? MvccError.AuthInvalidToken : MvccError.None;
    }

    /// <inheritdoc/>
    public MvccError CheckRead(Func<AuthInfo, MvccError> check, out AuthInfo info)
    {
        MvccError error = ResolveAuth(out AuthInfo? resolved);
        info = resolved ?? default; // no token: revision 0, which etcd reads as "user name is empty"
        return error != MvccError.None ? error : check(info);
    }

    /// <inheritdoc/>
    public MvccError CheckAdmin()
    {
        MvccError error = ResolveAuth(out AuthInfo? info);
        return error != MvccError.None ? error : _store.IsAdminPermitted(info?.Username);
    }

    /// <inheritdoc/>
    public string HashPassword(string password) => BCrypt.Net.BCrypt.HashPassword(password, Config.BcryptCost);

    /// <inheritdoc/>
    public async Task<ProposeResult> AuthenticateAsync(AuthenticateRequest request, CancellationToken cancellationToken)
    {
        ServerError read = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        if (read != ServerError.None) return new ProposeResult(null, Error: read);
        while (true)
        {
            (byte[]? hash, ulong checkedRevision, MvccError error) = _store.PasswordOf(request.Name);
            if (error != MvccError.None) return new ProposeResult(null, error);
            if (!VerifyPassword(request.Password, hash!)) return new ProposeResult(null, MvccError.AuthFailed);
            // The password stays out of the log: the command carries the user and the token prefix only.
            var command = new InternalRaftRequest
            {
                Authenticate = new InternalAuthenticateRequest { Name = request.Name, SimpleToken = Tokens.NewPrefix() },
            };
            ProposeResult result = await ProposeAsync(command, cancellationToken).ConfigureAwait(false);
            if (!result.Ok || checkedRevision == _store.AuthRevision) return result;
            // etcd: the password was checked at an auth revision that is stale now; check again.
        }
    }

    private static bool VerifyPassword(string password, byte[] hash)
    {
        if (hash.Length == 0) return false;
        try
        {
            return BCrypt.Net.BCrypt.Verify(password, System.Text.Encoding.UTF8.GetString(hash));
        }
        catch (BCrypt.Net.SaltParseException)
        {
            return false;
        }
    }

    /// <inheritdoc/>
    public MvccError CheckTxn(AuthInfo ai, TxnRequest txn) => AuthApplyChecks.CheckTxn(_store, ai, txn);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "unknown JWT options: [{Options}]")]
        public static partial void UnknownJwtOptions(ILogger logger, string options);

        [LoggerMessage(Level = LogLevel.Warning, Message = "simple token is not cryptographically signed")]
        public static partial void SimpleTokenNotSigned(ILogger logger);
    }
}
