using KvStore.Mvcc;

namespace KvStore.Server;

/// <summary>
/// etcd's auth TokenProvider (auth/store.go): mints the token an Authenticate returns and resolves the token a
/// request carries to its user and auth revision. One per member: simple (tokens in memory, per member), jwt
/// (signed, stateless: any member with the key verifies them) or nop (--auth-token "": no tokens at all).
/// </summary>
internal interface ITokenProvider
{
    /// <summary>etcd's genTokenPrefix: minted before the Authenticate command is proposed ("" for jwt).</summary>
    string NewPrefix();

    /// <summary>
    /// etcd's assign, on apply of an Authenticate: the token of <paramref name="user"/>, or null with the error
    /// the Authenticate answers (a verify-only JWT key cannot sign).
    /// </summary>
    string? Assign(string user, string prefix, long raftIndex, ulong authRevision, long nowMs, out MvccError error);

    /// <summary>etcd's info: the user and auth revision of a token, or null when the token is not valid.</summary>
    AuthInfo? Info(string token, ulong authRevision, long nowMs);

    /// <summary>etcd's invalidateUser (user deleted or password changed).</summary>
    void InvalidateUser(string user);

    /// <summary>etcd's disable (auth disabled).</summary>
    void Disable();
}

/// <summary>etcd's tokenNop (--auth-token ""): no token is valid and none is minted.</summary>
internal sealed class NopTokens : ITokenProvider
{
    public string NewPrefix() => "";

    public string? Assign(string user, string prefix, long raftIndex, ulong authRevision, long nowMs, out MvccError error)
    {
        error = MvccError.AuthFailed; // tokenNop.assign: ErrAuthFailed
        return null;
    }

    public AuthInfo? Info(string token, ulong authRevision, long nowMs) => null;

    public void InvalidateUser(string user)
    {
    }

    public void Disable()
    {
    }
}

/// <summary>A token provider that cannot be built from --auth-token; the message is etcd's error (what etcd exits with).</summary>
public sealed class AuthTokenException(string message, string? detail = null) : Exception(detail is null ? message : $"{message} ({detail})")
{
    /// <summary>etcd's auth.ErrInvalidAuthOpts text.</summary>
    public const string InvalidAuthOpts = "auth: invalid auth options";

    /// <summary>The error etcd's member fails with, without the detail etcd only logs.</summary>
    public string EtcdError { get; } = message;
}

/// <summary>
/// --auth-token parsed as etcd's decomposeOpts does: "&lt;type&gt;[,name=value]...", e.g.
/// "jwt,pub-key=app.rsa.pub,priv-key=app.rsa,sign-method=RS256,ttl=10m".
/// </summary>
public sealed record AuthTokenOptions(string Type, IReadOnlyDictionary<string, string> Options, TimeSpan JwtTtl)
{
    /// <summary>etcd's default --auth-token.</summary>
    public static AuthTokenOptions Simple { get; } = new("simple", new Dictionary<string, string>(), JwtTokens.DefaultTtl);

    /// <summary>
    /// etcd's decomposeOpts (a malformed or duplicated option, an unknown type: "auth: invalid auth options"), and
    /// the jwt ttl option read with Go's time.ParseDuration (<paramref name="parseDuration"/>, null when invalid).
    /// </summary>
    public static AuthTokenOptions Parse(string text, Func<string, TimeSpan?> parseDuration)
    {
        string[] parts = text.Split(',');
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 1; i < parts.Length; i++)
        {
            string[] pair = parts[i].Split('=');
            if (pair.Length != 2) throw new AuthTokenException(AuthTokenException.InvalidAuthOpts, $"invalid token specific option: {text}");
            if (!options.TryAdd(pair[0], pair[1]))
            {
                throw new AuthTokenException(AuthTokenException.InvalidAuthOpts,
                    $"invalid token specific option, duplicated parameters ({pair[0]}): {text}");
            }
        }
        if (parts[0] is not ("simple" or "jwt" or ""))
        {
            throw new AuthTokenException(AuthTokenException.InvalidAuthOpts, $"unknown token type: {parts[0]}");
        }
        TimeSpan ttl = JwtTokens.DefaultTtl; // etcd's DefaultTTL when the option is missing or empty
        if (parts[0] == "jwt" && options.TryGetValue("ttl", out string? ttlText) && ttlText.Length > 0)
        {
            ttl = parseDuration(ttlText)
                ?? throw new AuthTokenException(AuthTokenException.InvalidAuthOpts,
                    $"problem loading JWT options: time: invalid duration \"{ttlText}\"");
        }
        return new AuthTokenOptions(parts[0], options, ttl);
    }
}

/// <summary>etcd's NewTokenProvider.</summary>
public static class TokenProviders
{
    /// <summary>
    /// Builds the provider (reads and parses JWT keys); throws <see cref="AuthTokenException"/> with etcd's error.
    /// <paramref name="unknownOptions"/> are the jwt options etcd warns about and ignores.
    /// </summary>
    public static void Validate(AuthTokenOptions options, out IReadOnlyList<string> unknownOptions) =>
        Create(options, TimeSpan.FromMinutes(5), out unknownOptions);

    internal static ITokenProvider Create(AuthTokenOptions options, TimeSpan simpleTtl, out IReadOnlyList<string> unknownOptions)
    {
        unknownOptions = [];
        return options.Type switch
        {
            "simple" => new SimpleTokens(simpleTtl),
            "jwt" => JwtTokens.Create(options, out unknownOptions),
            _ => new NopTokens(),
        };
    }
}
