using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Schema;

/// <summary>OpenAPI v3 as kube-apiserver serves it: an index at /openapi/v3 and one document per group-version.</summary>
public static class OpenApi
{
    /// <summary>GET /openapi/v3: {"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=..."},...}}.</summary>
    public static JsonObject Index() => throw new NotImplementedException("schema helper");

    /// <summary>GET /openapi/v3/api/v1 or /openapi/v3/apis/&lt;group&gt;/&lt;version&gt; (path without the prefix, e.g.
    /// "api/v1", "apis/apps/v1"); null when not served.</summary>
    public static JsonObject? Document(string path) => throw new NotImplementedException("schema helper");
}
