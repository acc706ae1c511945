using static KvStore.ApiServer.Schema.Types.Dsl;

namespace KvStore.ApiServer.Schema.Types;

/// <summary>rbac.authorization.k8s.io/v1: Role, RoleBinding, ClusterRole, ClusterRoleBinding (k8s.io/api/rbac/v1/types.go).</summary>
internal static class RbacKinds
{
    private static FieldSchema Rbac(string name, string? description, (string, FieldSchema)[] fields, string[]? required = null) =>
        Obj("io.k8s.api.rbac.v1." + name, description, fields, required);

    public static readonly FieldSchema PolicyRule = Rbac("PolicyRule",
        "PolicyRule holds information that describes a policy rule, but does not contain information about who the rule applies to or which " +
        "namespace the rule applies to.",
        [("apiGroups", StrList), ("nonResourceURLs", StrList), ("resourceNames", StrList), ("resources", StrList), ("verbs", StrList)], ["verbs"]);

    public static readonly FieldSchema Role = Kind("io.k8s.api.rbac.v1.Role",
        "Role is a namespaced, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding.",
        [("rules", Atomic(PolicyRule))]);

    public static readonly FieldSchema RoleRef = Rbac("RoleRef", "RoleRef contains information that points to the role being used",
        [("apiGroup", Str), ("kind", Str), ("name", Str)], ["name"]);

    public static readonly FieldSchema Subject = Rbac("Subject",
        "Subject contains a reference to the object or user identities a role binding applies to.",
        [("apiGroup", Str), ("kind", Str), ("name", Str), ("namespace", Str)], ["name"]);

    public static readonly FieldSchema RoleBinding = Kind("io.k8s.api.rbac.v1.RoleBinding",
        "RoleBinding references a role, but does not contain it.",
        [("roleRef", RoleRef), ("subjects", Atomic(Subject))], ["roleRef"]);

    public static readonly FieldSchema AggregationRule = Rbac("AggregationRule",
        "AggregationRule describes how to locate ClusterRoles to aggregate into the ClusterRole",
        [("clusterRoleSelectors", Atomic(MetaTypes.LabelSelector))]);

    public static readonly FieldSchema ClusterRole = Kind("io.k8s.api.rbac.v1.ClusterRole",
        "ClusterRole is a cluster level, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding or ClusterRoleBinding.",
        [("aggregationRule", AggregationRule), ("rules", Atomic(PolicyRule))]);

    public static readonly FieldSchema ClusterRoleBinding = Kind("io.k8s.api.rbac.v1.ClusterRoleBinding",
        "ClusterRoleBinding references a ClusterRole, but not contain it.",
        [("roleRef", RoleRef), ("subjects", Atomic(Subject))], ["roleRef"]);
}
