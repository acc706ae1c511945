using Etcdserverpb;
using KvStore.Mvcc;
using KvStore.Server.Apply;
using Microsoft.Extensions.Logging;

namespace KvStore.Server.Access;

/// <summary>
/// The member's side of etcd's auth store (auth/store.go): the token provider and the root token the member proposes
/// with, a call's credentials resolved to a <see cref="Caller"/>, passwords hashed and verified, and the permission
/// checks of reads and admin operations. Users, roles and the auth revision are replicated data the engine keeps with
/// the consistent index (<see cref="MvccStore"/>); writes to them are log commands (BackendApplier). Tested by the auth
/// tests of KvStore.Grpc.Tests, KvStore.Etcdctl.Tests (against etcd 3.4) and KvStore.Tls.Tests (certificate users).
/// </summary>
internal sealed partial class AuthStore
{
    private const string RootUser = "root";

    private readonly MvccStore _store;
    private readonly bool _clientCertAuth;
    private readonly int _bcryptCost;
    private string? _rootToken;

    public AuthStore(MvccStore store, ServerConfig config, ILogger logger)
    {
        _store = store;
        _clientCertAuth = config.ClientCertAuth;
        _bcryptCost = config.BcryptCost;
        Tokens = TokenProviders.Create(config.AuthToken, TimeSpan.FromSeconds(config.AuthTokenTtlSeconds), out var unknown);
        if (unknown.Count > 0) Log.UnknownJwtOptions(logger, string.Join(' ', unknown));
        if (Tokens is SimpleTokens) Log.SimpleTokenNotSigned(logger);
    }

    /// <summary>The member's token provider (--auth-token): simple, jwt or nop.</summary>
    public ITokenProvider Tokens { get; }

    /// <summary>
    /// etcd's AuthInfoFromCtx: without a token, --client-cert-auth makes the certificate's CN the user, at the current
    /// auth revision; a token, valid or not, always decides first. A token the provider does not accept (simple: never
    /// minted here, expired, its user changed; jwt: bad signature or method, expired) is invalid.
    /// </summary>
    public Caller Resolve(string? token, string? commonName)
    {
        if (token is null)
        {
            return _clientCertAuth && commonName is not null
                ? new Caller(new AuthInfo(commonName, _store.AuthRevision)) { Credentials = (null, commonName) }
                : Caller.Nobody;
        }
        AuthInfo? info = Tokens.Info(token, _store.AuthRevision, Environment.TickCount64);
        return (info is null ? new Caller(null, MvccError.AuthInvalidToken) : new Caller(info)) with { Credentials = (token, commonName) };
    }

    /// <summary>
    /// The caller as the auth store sees it now: etcd's doSerialize resolves the token after the read index, so a read that
    /// waited while the auth store changed is checked against the store it reads from, not refused as "auth revision old".
    /// </summary>
    public Caller Refreshed(Caller caller) =>
        caller.Credentials is (null, null) ? caller : Resolve(caller.Credentials.Token, caller.Credentials.CommonName);

    /// <summary>
    /// etcd's WithRoot: root, by a token minted on this member only, for the member's own proposals that must pass the
    /// auth checks (the lessor's revokes of leases with keys); nobody while auth is disabled, or when the provider
    /// cannot mint one (a verify-only JWT key, nop: etcd then proposes without a token, too).
    /// </summary>
    public Caller Root()
    {
        if (!_store.AuthEnabled) return Caller.Nobody;
        long now = Environment.TickCount64;
        ulong revision = _store.AuthRevision;
        if (_rootToken is not { } cached || Tokens.Info(cached, revision, now) is not { } info || info.Revision < revision)
        {
            _rootToken = Tokens.Assign(RootUser, Tokens.NewPrefix(), 0, revision, now, out _);
        }
        return _rootToken is { } token ? Resolve(token, null) : Caller.Nobody;
    }

    /// <summary>etcd's IsAdminPermitted for a caller (maintenance and membership operations that need root).</summary>
    public void CheckAdmin(Caller caller)
    {
        EtcdServerException.ThrowIf(caller.Error);
        EtcdServerException.ThrowIf(_store.IsAdminPermitted(caller.Auth?.Username));
    }

    /// <summary>etcd's doSerialize check: the caller's token resolved, then <paramref name="check"/> on its user.</summary>
    public static void CheckRead(Caller caller, Func<AuthInfo, MvccError> check)
    {
        EtcdServerException.ThrowIf(caller.Error);
        EtcdServerException.ThrowIf(check(caller.User));
    }

    /// <summary>etcd's IsRangePermitted: read access to the key or range.</summary>
    public MvccError IsRangePermitted(AuthInfo user, ReadOnlySpan<byte> key, ReadOnlySpan<byte> rangeEnd) =>
        _store.IsOpPermitted(user, key, rangeEnd, write: false);

    /// <summary>etcd's checkTxnAuth: read access to every compare and range, write access to every put and delete.</summary>
    public MvccError CheckTxn(AuthInfo user, TxnRequest txn) => AuthApplyChecks.CheckTxn(_store, user, txn);

    /// <summary>etcd's doSerialize: a read served while the auth store changed under its token is refused.</summary>
    public void CheckAuthRevision(Caller caller)
    {
        if (caller.User.Revision != 0 && caller.User.Revision != _store.AuthRevision) throw new EtcdServerException(MvccError.AuthOldRevision);
    }

    /// <summary>The bcrypt hash of a password (done before proposing: the log never holds a plain password).</summary>
    public string HashPassword(string password) => BCrypt.Net.BCrypt.HashPassword(password, _bcryptCost);

    /// <summary>etcd's CheckPassword: the user's hash and the auth revision it was read at, or the user's error.</summary>
    public (bool Ok, ulong Revision, MvccError Error) CheckPassword(string name, string password)
    {
        (byte[]? hash, ulong revision, MvccError error) = _store.PasswordOf(name);
        if (error != MvccError.None) return (false, revision, error);
        return (VerifyPassword(password, hash!), revision, MvccError.None);
    }

    /// <summary>The auth revision now (a password checked at an older one is checked again).</summary>
    public ulong Revision => _store.AuthRevision;

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

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "unknown JWT options: [{Options}]")]
        public static partial void UnknownJwtOptions(ILogger logger, string options);

        [LoggerMessage(Level = LogLevel.Warning, Message = "simple token is not cryptographically signed")]
        public static partial void SimpleTokenNotSigned(ILogger logger);
    }
}
