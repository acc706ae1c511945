using KvStore.ApiServer.Resources;

namespace KvStore.ApiServer.Http;

/// <summary>
/// What a resource URL names (kube's RequestInfo): /api/v1/[watch/][namespaces/NS/]RESOURCE[/NAME[/SUBRESOURCE]]
/// and /apis/GROUP/VERSION/... . Namespace is null for cluster-scoped resources and all-namespaces lists.
/// </summary>
public sealed record RequestTarget(ResourceInfo Resource, string? Namespace, string? Name, string? Subresource, bool WatchPath)
{
    /// <summary>The store key of the named object.</summary>
    public string Key => KeyOf(Resource, Namespace, Name!);

    /// <summary>The store prefix of the collection ("/registry/pods/ns/" or "/registry/pods/" for all namespaces).</summary>
    public string CollectionPrefix => Namespace is null ? Resource.KeyPrefix : $"{Resource.KeyPrefix}{Namespace}/";

    public static string KeyOf(ResourceInfo resource, string? ns, string name) =>
        resource.Namespaced ? $"{resource.KeyPrefix}{ns}/{name}" : $"{resource.KeyPrefix}{name}";

    /// <summary>Parses a resource path against the built-in resources; null when it names none.</summary>
    public static RequestTarget? Parse(string path) => Parse(path, ServedResources.BuiltIn);

    /// <summary>Parses a resource path; null when it names no served resource.</summary>
    public static RequestTarget? Parse(string path, ServedResources served)
    {
        var segments = path.Trim('/').Split('/');
        string group, version;
        int at;
        if (segments.Length >= 3 && segments[0] == "api")
        {
            (group, version, at) = ("", segments[1], 2);
        }
        else if (segments.Length >= 4 && segments[0] == "apis")
        {
            (group, version, at) = (segments[1], segments[2], 3);
        }
        else
        {
            return null;
        }
        var rest = segments.AsSpan(at);
        var watch = false;
        if (rest.Length > 0 && rest[0] == "watch")
        {
            watch = true;
            rest = rest[1..];
        }
        if (rest.Length == 0 || rest.ToArray().Any(s => s.Length == 0)) return null;

        if (rest[0] == "namespaces" && rest.Length >= 3 && served.Find(group, version, rest[2]) is { Namespaced: true } namespaced)
        {
            if (rest.Length > 5) return null;
            return new(namespaced, rest[1], rest.Length > 3 ? rest[3] : null, rest.Length > 4 ? rest[4] : null, watch);
        }
        if (served.Find(group, version, rest[0]) is not { } resource || rest.Length > 3) return null;
        if (resource.Namespaced && rest.Length > 1) return null; // a namespaced resource's object needs its namespace
        return new(resource, null, rest.Length > 1 ? rest[1] : null, rest.Length > 2 ? rest[2] : null, watch);
    }
}
