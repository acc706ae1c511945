using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;

namespace KvStore.ApiServer.Schema;

/// <summary>OpenAPI v3 as kube-apiserver serves it: an index at /openapi/v3 and one document per group-version.
/// Documents are built once from the catalog and the FieldSchema trees; the index's hash is the document's digest, so
/// it changes exactly when the document does (kubectl caches by it).</summary>
public static class OpenApi
{
    private static readonly ConcurrentDictionary<string, (JsonObject Doc, string Hash)?> Cache = new(StringComparer.Ordinal);

    /// <summary>GET /openapi/v3: {"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=..."},...}}.</summary>
    public static JsonObject Index()
    {
        var paths = new JsonObject();
        foreach (var (group, version) in ResourceCatalog.GroupVersions)
        {
            var path = group.Length == 0 ? $"api/{version}" : $"apis/{group}/{version}";
            paths[path] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{path}?hash={Built(path)!.Value.Hash}" };
        }
        return new JsonObject { ["paths"] = paths };
    }

    /// <summary>GET /openapi/v3/api/v1 or /openapi/v3/apis/&lt;group&gt;/&lt;version&gt; (path without the prefix, e.g.
    /// "api/v1", "apis/apps/v1"); null when not served. A fresh copy each call: callers may serialize or change it.</summary>
    public static JsonObject? Document(string path) => Built(path.Trim('/')) is { } built ? (JsonObject)built.Doc.DeepClone() : null;

    /// <summary>The hash the index advertises for <paramref name="path"/> ("apis/apps/v1"), or null when not served
    /// (for an ETag or to check a requested ?hash=).</summary>
    public static string? Hash(string path) => Built(path.Trim('/'))?.Hash;

    private static (JsonObject Doc, string Hash)? Built(string path) => Cache.GetOrAdd(path, p =>
    {
        var gv = ResourceCatalog.GroupVersions.FirstOrDefault(gv =>
            (gv.Group.Length == 0 ? $"api/{gv.Version}" : $"apis/{gv.Group}/{gv.Version}") == p);
        if (gv.Version is null)
            return null;
        var doc = OpenApiBuilder.Build(gv.Group, gv.Version);
        var hash = Convert.ToHexString(SHA512.HashData(Encoding.UTF8.GetBytes(doc.ToJsonString())));
        return (doc, hash);
    });
}
