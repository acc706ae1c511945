using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;

namespace KvStore.ApiServer.Schema;

/// <summary>
/// The discovery documents kubectl reads, built from the served resources (<see cref="ServedResources"/>: the built-in
/// catalog and the kinds registered at run time; the overloads without one describe the built-in catalog) (see
/// ../shared/notes/kubectl.md for what kubectl 1.32 needs of them). Shapes as kube-apiserver 1.32 answers
/// (api/discovery/*.json of the Kubernetes repository): aggregated v2 leaves responseKind's group and version
/// empty for a resource's own kind and names them only for foreign kinds (autoscaling/v1 Scale, policy/v1 Eviction).
/// </summary>
public static class Discovery
{
    /// <summary>Content type of aggregated discovery: answer with exactly this when the Accept header asks for it.</summary>
    public const string AggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

    /// <summary>GET /api with the aggregated Accept: APIGroupDiscoveryList of the core group.</summary>
    public static JsonObject AggregatedCore(ServedResources served) =>
        DiscoveryList(served, served.GroupVersions.Where(gv => gv.Group.Length == 0));

    /// <inheritdoc cref="AggregatedCore(ServedResources)"/>
    public static JsonObject AggregatedCore() => AggregatedCore(ServedResources.BuiltIn);

    /// <summary>GET /apis with the aggregated Accept: APIGroupDiscoveryList of every named group.</summary>
    public static JsonObject AggregatedGroups(ServedResources served) =>
        DiscoveryList(served, served.GroupVersions.Where(gv => gv.Group.Length > 0));

    /// <inheritdoc cref="AggregatedGroups(ServedResources)"/>
    public static JsonObject AggregatedGroups() => AggregatedGroups(ServedResources.BuiltIn);

    /// <summary>GET /api (legacy): APIVersions.</summary>
    public static JsonObject LegacyCoreVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray(ResourceCatalog.GroupVersions.Where(gv => gv.Group.Length == 0)
            .Select(gv => (JsonNode)JsonValue.Create(gv.Version)).ToArray()),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject
        {
            ["clientCIDR"] = "0.0.0.0/0",
            ["serverAddress"] = serverAddress,
        }),
    };

    /// <summary>GET /apis (legacy): APIGroupList.</summary>
    public static JsonObject LegacyGroups(ServedResources served) => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray(NamedGroups(served).Select(g => (JsonNode)LegacyGroup(g.Key, g.Value)).ToArray()),
    };

    /// <inheritdoc cref="LegacyGroups(ServedResources)"/>
    public static JsonObject LegacyGroups() => LegacyGroups(ServedResources.BuiltIn);

    /// <summary>GET /apis/&lt;group&gt; (legacy): APIGroup, or null when not served.</summary>
    public static JsonObject? LegacyGroup(string group, ServedResources served) =>
        NamedGroups(served).TryGetValue(group, out var versions) ? LegacyGroup(group, versions) : null;

    /// <inheritdoc cref="LegacyGroup(string, ServedResources)"/>
    public static JsonObject? LegacyGroup(string group) => LegacyGroup(group, ServedResources.BuiltIn);

    /// <inheritdoc cref="ResourceList(string, string, ServedResources)"/>
    public static JsonObject? ResourceList(string group, string version) => ResourceList(group, version, ServedResources.BuiltIn);

    /// <summary>GET /api/v1 or /apis/&lt;group&gt;/&lt;version&gt;: APIResourceList, or null when not served.</summary>
    public static JsonObject? ResourceList(string group, string version, ServedResources served)
    {
        var resources = served.All.Where(r => r.Group == group && r.Version == version).ToList();
        if (resources.Count == 0)
            return null;
        var list = new JsonArray();
        foreach (var r in resources.OrderBy(r => r.Resource, StringComparer.Ordinal))
        {
            var entry = new JsonObject
            {
                ["name"] = r.Resource,
                ["singularName"] = r.SingularName,
                ["namespaced"] = r.Namespaced,
                ["kind"] = r.Kind,
                ["verbs"] = Strings(r.Verbs),
            };
            if (r.ShortNames.Count > 0)
                entry["shortNames"] = Strings(r.ShortNames);
            if (r.Categories.Count > 0)
                entry["categories"] = Strings(r.Categories);
            entry["storageVersionHash"] = StorageVersionHash(r);
            list.Add(entry);
            foreach (var sub in r.Subresources.OrderBy(s => s, StringComparer.Ordinal))
            {
                var s = SubresourceOf(r, sub);
                var subEntry = new JsonObject
                {
                    ["name"] = $"{r.Resource}/{sub}",
                    ["singularName"] = "",
                    ["namespaced"] = r.Namespaced,
                };
                if (s.Group is not null)
                {
                    subEntry["group"] = s.Group;
                    subEntry["version"] = s.Version;
                }
                subEntry["kind"] = s.Kind;
                subEntry["verbs"] = Strings(s.Verbs);
                list.Add(subEntry);
            }
        }
        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = list,
        };
    }

    /// <summary>What discovery says about a subresource: its response kind (Group/Version null = the resource's
    /// own group-version) and verbs, as kube-apiserver registers them.</summary>
    public sealed record SubresourceInfo(string Kind, string? Group, string? Version, IReadOnlyList<string> Verbs);

    private static readonly string[] GetPatchUpdate = ["get", "patch", "update"];
    private static readonly string[] CreateGet = ["create", "get"];
    private static readonly string[] ProxyVerbs = ["create", "delete", "get", "patch", "update"];

    /// <summary>The response kind and verbs of <paramref name="resource"/>'s subresource <paramref name="sub"/>.</summary>
    public static SubresourceInfo SubresourceOf(ResourceInfo resource, string sub) => sub switch
    {
        "status" => new(resource.Kind, null, null, GetPatchUpdate),
        "scale" => new("Scale", "autoscaling", "v1", GetPatchUpdate),
        "finalize" => new(resource.Kind, null, null, ["update"]),
        "log" => new(resource.Kind, null, null, ["get"]),
        "ephemeralcontainers" => new(resource.Kind, null, null, GetPatchUpdate),
        "exec" => new("PodExecOptions", null, null, CreateGet),
        "attach" => new("PodAttachOptions", null, null, CreateGet),
        "portforward" => new("PodPortForwardOptions", null, null, CreateGet),
        "binding" => new("Binding", null, null, ["create"]),
        "eviction" => new("Eviction", "policy", "v1", ["create"]),
        "proxy" => new(resource.Kind + "ProxyOptions", null, null, ProxyVerbs),
        _ => new(resource.Kind, null, null, ["get"]),
    };

    private static JsonObject DiscoveryList(ServedResources served, IEnumerable<(string Group, string Version)> groupVersions)
    {
        var items = new JsonArray();
        foreach (var byGroup in groupVersions.GroupBy(gv => gv.Group))
        {
            var metadata = new JsonObject { ["creationTimestamp"] = null };
            if (byGroup.Key.Length > 0)
                metadata["name"] = byGroup.Key;
            var versions = new JsonArray();
            foreach (var (group, version) in byGroup)
                versions.Add(new JsonObject
                {
                    ["version"] = version,
                    ["resources"] = new JsonArray(served.All
                        .Where(r => r.Group == group && r.Version == version)
                        .OrderBy(r => r.Resource, StringComparer.Ordinal)
                        .Select(r => (JsonNode)AggregatedResource(r)).ToArray()),
                    ["freshness"] = "Current",
                });
            items.Add(new JsonObject { ["metadata"] = metadata, ["versions"] = versions });
        }
        return new JsonObject
        {
            ["kind"] = "APIGroupDiscoveryList",
            ["apiVersion"] = "apidiscovery.k8s.io/v2",
            ["metadata"] = new JsonObject(),
            ["items"] = items,
        };
    }

    private static JsonObject AggregatedResource(ResourceInfo r)
    {
        var entry = new JsonObject
        {
            ["resource"] = r.Resource,
            ["responseKind"] = Gvk("", "", r.Kind),
            ["scope"] = r.Namespaced ? "Namespaced" : "Cluster",
            ["singularResource"] = r.SingularName,
            ["verbs"] = Strings(r.Verbs),
        };
        if (r.ShortNames.Count > 0)
            entry["shortNames"] = Strings(r.ShortNames);
        if (r.Categories.Count > 0)
            entry["categories"] = Strings(r.Categories);
        if (r.Subresources.Count > 0)
        {
            var subs = new JsonArray();
            foreach (var sub in r.Subresources.OrderBy(s => s, StringComparer.Ordinal))
            {
                var s = SubresourceOf(r, sub);
                subs.Add(new JsonObject
                {
                    ["subresource"] = sub,
                    ["responseKind"] = Gvk(s.Group ?? "", s.Version ?? "", s.Kind),
                    ["verbs"] = Strings(s.Verbs),
                });
            }
            entry["subresources"] = subs;
        }
        return entry;
    }

    private static Dictionary<string, List<string>> NamedGroups(ServedResources served)
    {
        var groups = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (group, version) in served.GroupVersions.Where(gv => gv.Group.Length > 0))
        {
            if (!groups.TryGetValue(group, out var versions))
                groups[group] = versions = [];
            versions.Add(version);
        }
        return groups;
    }

    private static JsonObject LegacyGroup(string group, List<string> versions)
    {
        JsonObject Gv(string v) => new() { ["groupVersion"] = $"{group}/{v}", ["version"] = v };
        return new JsonObject
        {
            ["kind"] = "APIGroup",
            ["apiVersion"] = "v1",
            ["name"] = group,
            ["versions"] = new JsonArray(versions.Select(v => (JsonNode)Gv(v)).ToArray()),
            ["preferredVersion"] = Gv(versions[0]),
        };
    }

    private static JsonObject Gvk(string group, string version, string kind) =>
        new() { ["group"] = group, ["version"] = version, ["kind"] = kind };

    private static JsonArray Strings(IEnumerable<string> values) =>
        new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());

    /// <summary>kube-apiserver's storageVersionHash: base64 of the first 8 bytes of sha256("group/version/Kind").</summary>
    private static string StorageVersionHash(ResourceInfo r)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes($"{r.Group}/{r.Version}/{r.Kind}"));
        return Convert.ToBase64String(digest, 0, 8);
    }
}
