using KvStore.Mvcc;

namespace KvStore.Server.Access;

/// <summary>etcd's auth store, credentials: a call's token or certificate to a <see cref="Caller"/>, the root token, passwords.</summary>
internal sealed partial class AuthStore
{
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
                ? new Caller(new AuthInfo(commonName, Revision)) { Credentials = (null, commonName) }
                : Caller.Nobody;
        }
        AuthInfo? info = Tokens.Info(token, Revision, Environment.TickCount64);
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
        if (!Enabled) return Caller.Nobody;
        long now = Environment.TickCount64;
        ulong revision = Revision;
        if (_rootToken is not { } cached || Tokens.Info(cached, revision, now) is not { } info || info.Revision < revision)
        {
            _rootToken = Tokens.Assign(AuthState.RootUser, Tokens.NewPrefix(), 0, revision, now, out _);
        }
        return _rootToken is { } token ? Resolve(token, null) : Caller.Nobody;
    }

    /// <summary>The bcrypt hash of a password (done before proposing: the log never holds a plain password).</summary>
    public string HashPassword(string password) => BCrypt.Net.BCrypt.HashPassword(password, _bcryptCost);

    /// <summary>etcd's CheckPassword: the user's hash and the auth revision it was read at, or the user's error.</summary>
    public (bool Ok, ulong Revision, MvccError Error) CheckPassword(string name, string password)
    {
        (byte[]? hash, ulong revision, MvccError error) = PasswordOf(name);
        if (error != MvccError.None) return (false, revision, error);
        return (VerifyPassword(password, hash!), revision, MvccError.None);
    }

    /// <summary>
    /// The bcrypt hash to check a password against and the auth revision it was read at (etcd's CheckPassword before
    /// the hash comparison, which the caller does on that version of the data, without a lock).
    /// </summary>
    public (byte[]? Hash, ulong Revision, MvccError Error) PasswordOf(string name)
    {
        AuthState state = _state;
        if (!state.Enabled) return (null, 0, MvccError.AuthNotEnabled);
        if (state.GetUser(name) is not { } user) return (null, 0, MvccError.AuthFailed);
        if (user.Options is { NoPassword: true }) return (null, 0, MvccError.AuthNoPasswordUser);
        return (user.Password.ToByteArray(), state.Revision, MvccError.None);
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
}
