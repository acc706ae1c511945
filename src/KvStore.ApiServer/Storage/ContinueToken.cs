using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KvStore.ApiServer.Storage;

/// <summary>
/// kube's list continue token (apiserver storage/continue.go): unpadded base64url of {"v":"meta.k8s.io/v1","rv":N,"start":"..."},
/// start = the next key relative to the list prefix. rv -1 = continue at the latest revision (handed out when the
/// token's revision was compacted).
/// </summary>
internal static class ContinueToken
{
    private const string Version = "meta.k8s.io/v1";

    private sealed record Body(
        [property: JsonPropertyName("v")] string? ApiVersion,
        [property: JsonPropertyName("rv")] long ResourceVersion,
        [property: JsonPropertyName("start")] string? StartKey);

    /// <summary>The token for the page starting at <paramref name="key"/> (inclusive) under <paramref name="prefix"/>.</summary>
    public static string Encode(string key, string prefix, long revision)
    {
        if (!key.StartsWith(prefix, StringComparison.Ordinal) || key.Length == prefix.Length)
        {
            throw new ArgumentException("unable to encode next field: the key and key prefix do not match", nameof(key));
        }
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(new Body(Version, revision, key[prefix.Length..]));
        return Convert.ToBase64String(json).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>The full start key and the revision of <paramref name="token"/>; BadRequest with kube's wording when invalid.</summary>
    public static (string StartKey, long Revision) Decode(string token, string prefix)
    {
        Body? body;
        try
        {
            string b64 = token.Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=');
            body = JsonSerializer.Deserialize<Body>(Convert.FromBase64String(b64));
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw Invalid(e.Message);
        }
        if (body is null || body.ApiVersion != Version) throw Invalid("server does not recognize this encoded version");
        if (body.ResourceVersion == 0) throw Invalid($"incorrect encoded start resourceVersion (version {Version})");
        if (string.IsNullOrEmpty(body.StartKey)) throw Invalid("encoded start key empty");
        // Only a key below the prefix: the same cleaning kube does with path.Clean, so ".." cannot escape it.
        string key = body.StartKey.StartsWith('/') ? body.StartKey : "/" + body.StartKey;
        if (CleanPath(key) != key) throw Invalid(key);
        return (prefix + key[1..], body.ResourceVersion);
    }

    private static StoreException Invalid(string why) =>
        new(StoreError.BadRequest, "invalid continue token: continue key is not valid: " + why);

    /// <summary>Go's path.Clean for a rooted path, enough to tell whether a path is already clean.</summary>
    private static string CleanPath(string rooted)
    {
        var parts = new List<string>();
        foreach (string part in rooted.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..")
            {
                if (parts.Count > 0) parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        var b = new StringBuilder();
        foreach (string p in parts) b.Append('/').Append(p);
        // Go keeps the trailing NUL the encoder appends ("name\x00"), which is part of the last element here too.
        return b.Length == 0 ? "/" : b.ToString();
    }
}
