using KvStore.ApiServer.Schema;

namespace KvStore.ApiServer.Resources;

/// <summary>
/// One served resource: where it lives in the URL space and in the store, what kubectl's discovery is told about it.
/// </summary>
/// <param name="Group">API group, "" for the core group (served under /api).</param>
/// <param name="Version">API version, e.g. "v1", "v2".</param>
/// <param name="Resource">Plural lower-case name used in URLs and store keys, e.g. "deployments".</param>
/// <param name="Kind">Object kind, e.g. "Deployment".</param>
/// <param name="Namespaced">True for namespaced resources, false for cluster-scoped ones (namespaces, nodes).</param>
/// <param name="SingularName">Singular lower-case name, e.g. "deployment".</param>
/// <param name="ShortNames">kubectl short names, e.g. "deploy".</param>
/// <param name="Categories">Discovery categories ("all" puts it in `kubectl get all`).</param>
public sealed record ResourceInfo(
    string Group,
    string Version,
    string Resource,
    string Kind,
    bool Namespaced,
    string SingularName,
    IReadOnlyList<string> ShortNames,
    IReadOnlyList<string> Categories)
{
    /// <summary>Verbs every stored resource supports.</summary>
    public static readonly IReadOnlyList<string> StandardVerbs =
        ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public IReadOnlyList<string> Verbs { get; init; } = StandardVerbs;

    /// <summary>Subresources served (e.g. "status", "scale", "log"); empty when none.</summary>
    public IReadOnlyList<string> Subresources { get; init; } = [];

    /// <summary>"v1" for the core group, "apps/v1" otherwise: the apiVersion of its objects.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>The kind of its lists ("DeploymentList"; a CRD names its own).</summary>
    public string ListKind { get; init; } = Kind + "List";

    /// <summary>Store key prefix of all objects of this resource: "/registry/&lt;resource&gt;/" (kube-apiserver's layout).</summary>
    public string KeyPrefix => $"/registry/{StoragePrefix}/";

    /// <summary>The path segment under /registry: the resource name for the built-in kinds, as the issue fixes the layout
    /// (kube-apiserver itself uses a few historical prefixes such as minions for nodes; we do not); "&lt;group&gt;/&lt;plural&gt;"
    /// for custom resources and CRDs, as kube-apiserver keeps them.</summary>
    public string StoragePrefix { get; init; } = Resource;

    /// <summary>What a kind registered at run time (a CRD's served version) brings that the built-in kinds find in the
    /// static tables; null for the built-in kinds.</summary>
    internal IRuntimeKind? Runtime { get; init; }

    /// <summary>URL path prefix of the group-version: "/api/v1" or "/apis/apps/v1".</summary>
    public string GroupVersionPath => Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";
}
