using Etcdserverpb;
using KvStore.Mvcc;
using KvStore.Server.Apply;
using Microsoft.Extensions.Logging;

namespace KvStore.Server;

public sealed partial class EtcdServer
{
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
    /// etcd's WithRoot: root, by a token minted on this member only, for the member's own proposals that must pass the
    /// auth checks (the lessor's revokes of leases with keys); nobody while auth is disabled, or when the provider
    /// cannot mint one (a verify-only JWT key, nop: etcd then proposes without a token, too).
    /// </summary>
    private Caller RootCaller()
    {
        if (!_store.AuthEnabled) return Caller.Nobody;
        long now = Environment.TickCount64;
        ulong revision = _store.AuthRevision;
        if (_rootToken is not { } cached || Tokens.Info(cached, revision, now) is not { } info || info.Revision < revision)
        {
            _rootToken = Tokens.Assign(AuthRootUser, Tokens.NewPrefix(), 0, revision, now, out _);
        }
        return _rootToken is { } token ? AuthInfoFrom(token, null) : Caller.Nobody;
    }

    private const string AuthRootUser = "root";

    /// <inheritdoc/>
    public Caller AuthInfoFrom(string? token, string? commonName)
    {
        if (token is null)
        {
            // etcd's AuthInfoFromCtx: without a token, --client-cert-auth makes the certificate's CN the user, at
            // the current auth revision; a token, valid or not, always decides first.
            return Config.ClientCertAuth && commonName is not null
                ? new Caller(new AuthInfo(commonName, _store.AuthRevision)) { Credentials = (null, commonName) }
                : Caller.Nobody;
        }
        // A token the provider does not accept (simple: never minted here, expired, its user changed; jwt: bad signature
        // or method, expired) is invalid. A JWT carries the auth revision it was minted at, which the checks compare.
        AuthInfo? info = Tokens.Info(token, _store.AuthRevision, Environment.TickCount64);
        return (info is null ? new Caller(null, MvccError.AuthInvalidToken) : new Caller(info)) with { Credentials = (token, commonName) };
    }

    /// <summary>
    /// The caller as the auth store sees it now: etcd's doSerialize resolves the token after the read index, so a read that
    /// waited while the auth store changed is checked against the store it reads from, not refused as "auth revision old".
    /// </summary>
    private Caller Refreshed(Caller caller) =>
        caller.Credentials is (null, null) ? caller : AuthInfoFrom(caller.Credentials.Token, caller.Credentials.CommonName);

    /// <inheritdoc/>
    public async Task WaitForTokenAsync(string token, CancellationToken cancellationToken)
    {
        int dot = token.LastIndexOf('.');
        if (dot >= 0 && long.TryParse(token.AsSpan(dot + 1), out long index) && index > AppliedIndex)
        {
            // Applied once everything committed before this call is: the Authenticate entry was committed before the token was given out.
            await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>etcd's IsAdminPermitted for a caller (maintenance and membership operations that need root).</summary>
    private void CheckAdmin(Caller caller)
    {
        EtcdServerException.ThrowIf(caller.Error);
        EtcdServerException.ThrowIf(_store.IsAdminPermitted(caller.Auth?.Username));
    }

    /// <summary>etcd's doSerialize check: the caller's token resolved, then <paramref name="check"/> on its user.</summary>
    private static void CheckRead(Caller caller, Func<AuthInfo, MvccError> check)
    {
        EtcdServerException.ThrowIf(caller.Error);
        EtcdServerException.ThrowIf(check(caller.User));
    }

    /// <summary>etcd's doSerialize: a read served while the auth store changed under its token is refused.</summary>
    private void CheckAuthRevision(Caller caller)
    {
        if (caller.User.Revision != 0 && caller.User.Revision != _store.AuthRevision) throw new EtcdServerException(MvccError.AuthOldRevision);
    }

    private string HashPassword(string password) => BCrypt.Net.BCrypt.HashPassword(password, Config.BcryptCost);

    /// <inheritdoc/>
    public async Task<AuthenticateResponse> AuthenticateAsync(AuthenticateRequest request, Caller caller, CancellationToken cancellationToken)
    {
        EtcdServerException.ThrowIf(await ReadIndexAsync(cancellationToken).ConfigureAwait(false));
        while (true)
        {
            (byte[]? hash, ulong checkedRevision, MvccError error) = _store.PasswordOf(request.Name);
            EtcdServerException.ThrowIf(error);
            if (!VerifyPassword(request.Password, hash!)) throw new EtcdServerException(MvccError.AuthFailed);
            // The password stays out of the log: the command carries the user and the token prefix only.
            var command = new InternalRaftRequest
            {
                Authenticate = new InternalAuthenticateRequest { Name = request.Name, SimpleToken = Tokens.NewPrefix() },
            };
            ProposeResult result = await ProposeAsync(command, caller, cancellationToken).ConfigureAwait(false);
            if (!result.Ok || checkedRevision == _store.AuthRevision) return EtcdServerException.Unwrap<AuthenticateResponse>(result);
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

    /// <summary>etcd's checkTxnAuth: read access to every compare and range, write access to every put and delete.</summary>
    private MvccError CheckTxn(AuthInfo ai, TxnRequest txn) => AuthApplyChecks.CheckTxn(_store, ai, txn);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "unknown JWT options: [{Options}]")]
        public static partial void UnknownJwtOptions(ILogger logger, string options);

        [LoggerMessage(Level = LogLevel.Warning, Message = "simple token is not cryptographically signed")]
        public static partial void SimpleTokenNotSigned(ILogger logger);
    }
}
