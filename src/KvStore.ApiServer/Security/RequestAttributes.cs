namespace KvStore.ApiServer.Security;

/// <summary>
/// What a request asks to do, as kube's RequestInfoFactory reads a URL (apiserver/pkg/endpoints/request): a resource
/// request (/api/VERSION/... or /apis/GROUP/VERSION/..., at least one segment after the version) with its verb,
/// group, namespace, resource, subresource and name; anything else a non-resource request with the lowercase method.
/// Used to word the Forbidden answer, never to route.
/// </summary>
public sealed record RequestAttributes(string Verb, string Path, bool IsResourceRequest, string Group = "", string Namespace = "",
    string Resource = "", string Subresource = "", string Name = "")
{
    /// <summary>Sub-paths of a namespace that are its own subresources, not a resource in it.</summary>
    private static readonly HashSet<string> NamespaceSubresources = ["status", "finalize"];

    public static RequestAttributes Of(string method, string path, bool watchQuery)
    {
        var nonResource = new RequestAttributes(method.ToLowerInvariant(), path, false);
        var parts = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (parts.Count < 3 || parts[0] is not ("api" or "apis")) return nonResource;
        var group = "";
        if (parts[0] == "apis")
        {
            if (parts.Count < 4) return nonResource;
            group = parts[1];
            parts = parts[3..];
        }
        else
        {
            parts = parts[2..];
        }

        var verb = method switch
        {
            "POST" => "create",
            "GET" or "HEAD" => "get",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => "",
        };
        if (parts[0] == "watch")
        {
            verb = "watch";
            parts = parts[1..];
        }
        var ns = "";
        if (parts.Count > 0 && parts[0] == "namespaces" && parts.Count > 1)
        {
            ns = parts[1];
            if (parts.Count > 2 && !NamespaceSubresources.Contains(parts[2])) parts = parts[2..];
        }
        var resource = parts.Count > 0 ? parts[0] : "";
        var name = parts.Count > 1 ? parts[1] : "";
        var subresource = parts.Count > 2 ? parts[2] : "";
        if (name.Length == 0 && verb == "get") verb = watchQuery ? "watch" : "list";
        if (name.Length == 0 && verb == "delete") verb = "deletecollection";
        return new RequestAttributes(verb, path, true, group, ns, resource, subresource, name);
    }

    /// <summary>
    /// kube's Forbidden message for <paramref name="user"/> (authorization's forbiddenMessage wrapped by NewForbidden):
    /// <c>pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"</c>.
    /// </summary>
    public string ForbiddenMessage(string user)
    {
        if (!IsResourceRequest) return $"forbidden: User \"{user}\" cannot {Verb} path \"{Path}\"";
        var resource = Subresource.Length > 0 ? $"{Resource}/{Subresource}" : Resource;
        var why = Namespace.Length > 0
            ? $"User \"{user}\" cannot {Verb} resource \"{resource}\" in API group \"{Group}\" in the namespace \"{Namespace}\""
            : $"User \"{user}\" cannot {Verb} resource \"{resource}\" in API group \"{Group}\" at the cluster scope";
        var qualified = Group.Length > 0 ? $"{Resource}.{Group}" : Resource;
        return Name.Length > 0 ? $"{qualified} \"{Name}\" is forbidden: {why}" : $"{qualified} is forbidden: {why}";
    }
}
