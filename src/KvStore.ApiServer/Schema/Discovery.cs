using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Schema;

/// <summary>
/// The discovery documents kubectl reads, built from <see cref="Resources.ResourceCatalog"/> (see
/// ../shared/notes/kubectl.md for what kubectl 1.32 needs of them).
/// </summary>
public static class Discovery
{
    /// <summary>Content type of aggregated discovery: answer with exactly this when the Accept header asks for it.</summary>
    public const string AggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

    /// <summary>GET /api with the aggregated Accept: APIGroupDiscoveryList of the core group.</summary>
    public static JsonObject AggregatedCore() => throw new NotImplementedException("schema helper");

    /// <summary>GET /apis with the aggregated Accept: APIGroupDiscoveryList of every named group.</summary>
    public static JsonObject AggregatedGroups() => throw new NotImplementedException("schema helper");

    /// <summary>GET /api (legacy): APIVersions.</summary>
    public static JsonObject LegacyCoreVersions(string serverAddress) => throw new NotImplementedException("schema helper");

    /// <summary>GET /apis (legacy): APIGroupList.</summary>
    public static JsonObject LegacyGroups() => throw new NotImplementedException("schema helper");

    /// <summary>GET /api/v1 or /apis/&lt;group&gt;/&lt;version&gt;: APIResourceList, or null when not served.</summary>
    public static JsonObject? ResourceList(string group, string version) => throw new NotImplementedException("schema helper");
}
