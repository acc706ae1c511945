namespace KvStore.ApiServer.Resources;

/// <summary>
/// Every resource the facade stores and serves, in discovery order (groups by kube-apiserver's group priority: apps,
/// autoscaling, batch, networking, policy, rbac, storage, coordination, discovery). kube-apiserver's names, kinds,
/// scopes, short names and categories (checked against `kubectl api-resources` of a 1.32 cluster).
/// </summary>
public static class ResourceCatalog
{
    private static readonly string[] All_ = ["all"];

    public static readonly IReadOnlyList<ResourceInfo> All =
    [
        // core/v1
        // kube-apiserver serves no deletecollection on namespaces
        new("", "v1", "namespaces", "Namespace", false, "namespace", ["ns"], [])
        {
            Verbs = ["create", "delete", "get", "list", "patch", "update", "watch"],
            Subresources = ["status", "finalize"],
        },
        new("", "v1", "nodes", "Node", false, "node", ["no"], []) { Subresources = ["status"] },
        new("", "v1", "pods", "Pod", true, "pod", ["po"], All_) { Subresources = ["status", "log", "exec", "portforward", "attach", "binding",
            "eviction", "ephemeralcontainers"] },
        new("", "v1", "services", "Service", true, "service", ["svc"], All_) { Subresources = ["status", "proxy"] },
        new("", "v1", "endpoints", "Endpoints", true, "endpoints", ["ep"], []),
        new("", "v1", "configmaps", "ConfigMap", true, "configmap", ["cm"], []),
        new("", "v1", "secrets", "Secret", true, "secret", [], []),
        new("", "v1", "serviceaccounts", "ServiceAccount", true, "serviceaccount", ["sa"], []),
        new("", "v1", "events", "Event", true, "event", ["ev"], []),
        new("", "v1", "persistentvolumes", "PersistentVolume", false, "persistentvolume", ["pv"], []) { Subresources = ["status"] },
        new("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, "persistentvolumeclaim", ["pvc"], []) { Subresources = ["status"] },
        new("", "v1", "resourcequotas", "ResourceQuota", true, "resourcequota", ["quota"], []) { Subresources = ["status"] },
        new("", "v1", "limitranges", "LimitRange", true, "limitrange", ["limits"], []),
        // apps/v1
        new("apps", "v1", "deployments", "Deployment", true, "deployment", ["deploy"], All_) { Subresources = ["status", "scale"] },
        new("apps", "v1", "replicasets", "ReplicaSet", true, "replicaset", ["rs"], All_) { Subresources = ["status", "scale"] },
        new("apps", "v1", "statefulsets", "StatefulSet", true, "statefulset", ["sts"], All_) { Subresources = ["status", "scale"] },
        new("apps", "v1", "daemonsets", "DaemonSet", true, "daemonset", ["ds"], All_) { Subresources = ["status"] },
        // autoscaling/v2 (the preferred version) and v1
        new("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, "horizontalpodautoscaler", ["hpa"],
            All_) { Subresources = ["status"] },
        // autoscaling/v1 (stored as v2: StorageVersions)
        new("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, "horizontalpodautoscaler", ["hpa"],
            All_) { Subresources = ["status"] },
        // batch/v1
        new("batch", "v1", "jobs", "Job", true, "job", [], All_) { Subresources = ["status"] },
        new("batch", "v1", "cronjobs", "CronJob", true, "cronjob", ["cj"], All_) { Subresources = ["status"] },
        // networking.k8s.io/v1
        new("networking.k8s.io", "v1", "ingresses", "Ingress", true, "ingress", ["ing"], []) { Subresources = ["status"] },
        new("networking.k8s.io", "v1", "ingressclasses", "IngressClass", false, "ingressclass", [], []),
        new("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, "networkpolicy", ["netpol"], []),
        // policy/v1
        new("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, "poddisruptionbudget", ["pdb"], []) { Subresources = ["status"] },
        // rbac.authorization.k8s.io/v1
        new("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false, "clusterrolebinding", [], []),
        new("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, "clusterrole", [], []),
        new("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, "rolebinding", [], []),
        new("rbac.authorization.k8s.io", "v1", "roles", "Role", true, "role", [], []),
        // storage.k8s.io/v1
        new("storage.k8s.io", "v1", "storageclasses", "StorageClass", false, "storageclass", ["sc"], []),
        // coordination.k8s.io/v1
        new("coordination.k8s.io", "v1", "leases", "Lease", true, "lease", [], []),
        // discovery.k8s.io/v1
        new("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true, "endpointslice", [], []),
    ];

    /// <summary>Group-versions in discovery order ("" group first).</summary>
    public static IEnumerable<(string Group, string Version)> GroupVersions =>
        All.Select(r => (r.Group, r.Version)).Distinct();

    public static ResourceInfo? Find(string group, string version, string resource) =>
        All.FirstOrDefault(r => r.Group == group && r.Version == version && r.Resource == resource);

    /// <summary>By apiVersion ("v1", "apps/v1") and kind, as found in a manifest.</summary>
    public static ResourceInfo? FindByKind(string apiVersion, string kind) =>
        All.FirstOrDefault(r => r.ApiVersion == apiVersion && r.Kind == kind);
}
