using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;

namespace KvStore.ApiServer.Schema;

/// <summary>OpenAPI v3 as kube-apiserver serves it: an index at /openapi/v3 and one document per group-version of the
/// served resources (the overloads without a <see cref="ServedResources"/> describe the built-in catalog). A document is
/// built once per set of resources of its group-version and rebuilt when that set changes (a CRD registered, changed or
/// gone); the index's hash is the document's digest, so it changes exactly when the document does (kubectl caches by it).</summary>
public static class OpenApi
{
    /// <summary>A built document and the resources it describes (compared by reference: registrations make new ones).</summary>
    private sealed record Built(IReadOnlyList<ResourceInfo> From, JsonObject Doc, string Hash);

    private static readonly ConcurrentDictionary<string, Built> Cache = new(StringComparer.Ordinal);

    /// <summary>GET /openapi/v3: {"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=..."},...}}.</summary>
    public static JsonObject Index(ServedResources served)
    {
        var paths = new JsonObject();
        foreach (var (group, version) in served.GroupVersions)
        {
            var path = PathOf(group, version);
            paths[path] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{path}?hash={Build(path, served)!.Hash}" };
        }
        return new JsonObject { ["paths"] = paths };
    }

    /// <inheritdoc cref="Index(ServedResources)"/>
    public static JsonObject Index() => Index(ServedResources.BuiltIn);

    /// <summary>GET /openapi/v3/api/v1 or /openapi/v3/apis/&lt;group&gt;/&lt;version&gt; (path without the prefix, e.g.
    /// "api/v1", "apis/apps/v1"); null when not served. A fresh copy each call: callers may serialize or change it.</summary>
    public static JsonObject? Document(string path, ServedResources served) =>
        Build(path.Trim('/'), served) is { } built ? (JsonObject)built.Doc.DeepClone() : null;

    /// <inheritdoc cref="Document(string, ServedResources)"/>
    public static JsonObject? Document(string path) => Document(path, ServedResources.BuiltIn);

    /// <summary>The hash the index advertises for <paramref name="path"/> ("apis/apps/v1"), or null when not served
    /// (for an ETag or to check a requested ?hash=).</summary>
    public static string? Hash(string path, ServedResources served) => Build(path.Trim('/'), served)?.Hash;

    /// <inheritdoc cref="Hash(string, ServedResources)"/>
    public static string? Hash(string path) => Hash(path, ServedResources.BuiltIn);

    private static string PathOf(string group, string version) => group.Length == 0 ? $"api/{version}" : $"apis/{group}/{version}";

    private static Built? Build(string path, ServedResources served)
    {
        var resources = served.All.Where(r => PathOf(r.Group, r.Version) == path).ToList();
        if (resources.Count == 0)
            return null;
        if (Cache.TryGetValue(path, out var cached) && cached.From.SequenceEqual(resources, ReferenceEqualityComparer.Instance))
            return cached;
        var doc = OpenApiBuilder.Build(resources);
        var hash = Convert.ToHexString(SHA512.HashData(Encoding.UTF8.GetBytes(doc.ToJsonString())));
        var built = new Built(resources, doc, hash);
        Cache[path] = built;
        return built;
    }
}
