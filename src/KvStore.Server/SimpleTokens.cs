using KvStore.Mvcc;

namespace KvStore.Server;

/// <summary>
/// etcd's simple token provider (auth/simple_token.go): "&lt;16 random letters&gt;.&lt;raft index&gt;" tokens held in
/// memory on every member, each valid for the TTL after its last use; dropped when auth is disabled or the
/// user is deleted or changes password. Thread-safe.
/// </summary>
internal sealed class SimpleTokens(TimeSpan ttl) : ITokenProvider
{
    private const string Letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const int PrefixLength = 16;
    private readonly Dictionary<string, (string User, long ExpiryMs)> _tokens = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>A random prefix, minted before the Authenticate command is proposed (etcd's genTokenPrefix).</summary>
    public string NewPrefix() => System.Security.Cryptography.RandomNumberGenerator.GetString(Letters, PrefixLength);

    /// <inheritdoc/>
    public string? Assign(string user, string prefix, long raftIndex, ulong authRevision, long nowMs, out MvccError error)
    {
        error = MvccError.None;
        return Assign(user, prefix, raftIndex, nowMs);
    }

    /// <inheritdoc/>
    public AuthInfo? Info(string token, ulong authRevision, long nowMs) =>
        Lookup(token, nowMs) is { } user ? new AuthInfo(user, authRevision) : null; // simple tokens carry no revision

    public string Assign(string user, string prefix, long raftIndex, long nowMs)
    {
        string token = $"{prefix}.{raftIndex}";
        lock (_lock)
        {
            // etcd's TTL keeper deletes expired tokens every second; here each new token sweeps them.
            foreach (string expired in _tokens.Where(t => t.Value.ExpiryMs < nowMs).Select(t => t.Key).ToList()) _tokens.Remove(expired);
            _tokens[token] = (user, nowMs + (long)ttl.TotalMilliseconds);
        }
        return token;
    }

    /// <summary>The user of a live token, extending its life (etcd's resetSimpleToken); null when unknown or expired.</summary>
    public string? Lookup(string token, long nowMs)
    {
        lock (_lock)
        {
            if (!_tokens.TryGetValue(token, out var entry)) return null;
            if (entry.ExpiryMs < nowMs)
            {
                _tokens.Remove(token);
                return null;
            }
            _tokens[token] = (entry.User, nowMs + (long)ttl.TotalMilliseconds);
            return entry.User;
        }
    }

    public void InvalidateUser(string user)
    {
        lock (_lock)
        {
            foreach (string token in _tokens.Where(t => t.Value.User == user).Select(t => t.Key).ToList()) _tokens.Remove(token);
        }
    }

    public void Disable() => Clear();

    public void Clear()
    {
        lock (_lock) _tokens.Clear();
    }
}
