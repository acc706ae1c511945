using static KvStore.ApiServer.Schema.Types.Dsl;

namespace KvStore.ApiServer.Schema.Types;

/// <summary>policy/v1 PodDisruptionBudget; core/v1 ResourceQuota and LimitRange.</summary>
internal static class PolicyKinds
{
    private static FieldSchema Policy(string name, string? description, (string, FieldSchema)[] fields, string[]? required = null) =>
        Obj("io.k8s.api.policy.v1." + name, description, fields, required);

    public static readonly FieldSchema PodDisruptionBudgetSpec = Policy("PodDisruptionBudgetSpec",
        "PodDisruptionBudgetSpec is a description of a PodDisruptionBudget.",
        [("maxUnavailable", IntOrStr), ("minAvailable", IntOrStr), ("selector", MetaTypes.LabelSelector), ("unhealthyPodEvictionPolicy", Str)]);

    public static readonly FieldSchema PodDisruptionBudgetStatus = Policy("PodDisruptionBudgetStatus",
        "PodDisruptionBudgetStatus represents information about the status of a PodDisruptionBudget.",
        [("conditions", MergeMap(MetaTypes.Condition, "type")), ("currentHealthy", I32), ("desiredHealthy", I32), ("disruptedPods", MapOf(Time)),
            ("disruptionsAllowed", I32), ("expectedPods", I32), ("observedGeneration", I64)]);

    public static readonly FieldSchema PodDisruptionBudget = Kind("io.k8s.api.policy.v1.PodDisruptionBudget",
        "PodDisruptionBudget is an object to define the max disruption that can be caused to a collection of pods",
        [("spec", PodDisruptionBudgetSpec), ("status", PodDisruptionBudgetStatus)]);

    public static readonly FieldSchema ScopedResourceSelectorRequirement = Core("ScopedResourceSelectorRequirement",
        "A scoped-resource selector requirement is a selector that contains values, a scope name, " +
        "and an operator that relates the scope name and values.",
        [("operator", Str), ("scopeName", Str), ("values", StrList)], ["operator", "scopeName"]);

    public static readonly FieldSchema ScopeSelector = Core("ScopeSelector",
        "A scope selector represents the AND of the selectors represented by the scoped-resource selector requirements.",
        [("matchExpressions", Atomic(ScopedResourceSelectorRequirement))]);

    public static readonly FieldSchema ResourceQuotaSpec = Core("ResourceQuotaSpec",
        "ResourceQuotaSpec defines the desired hard limits to enforce for Quota.",
        [("hard", QuantityMap), ("scopeSelector", ScopeSelector), ("scopes", StrList)]);

    public static readonly FieldSchema ResourceQuotaStatus = Core("ResourceQuotaStatus",
        "ResourceQuotaStatus defines the enforced hard limits and observed use.",
        [("hard", QuantityMap), ("used", QuantityMap)]);

    public static readonly FieldSchema ResourceQuota = Kind("io.k8s.api.core.v1.ResourceQuota",
        "ResourceQuota sets aggregate quota restrictions enforced per namespace",
        [("spec", ResourceQuotaSpec), ("status", ResourceQuotaStatus)]);

    public static readonly FieldSchema LimitRangeItem = Core("LimitRangeItem",
        "LimitRangeItem defines a min/max usage limit for any resource that matches on kind.",
        [("default", QuantityMap), ("defaultRequest", QuantityMap), ("max", QuantityMap), ("maxLimitRequestRatio", QuantityMap), ("min", QuantityMap),
            ("type", Str)], ["type"]);

    public static readonly FieldSchema LimitRangeSpec = Core("LimitRangeSpec",
        "LimitRangeSpec defines a min/max usage limit for resources that match on kind.",
        [("limits", Atomic(LimitRangeItem))], ["limits"]);

    public static readonly FieldSchema LimitRange = Kind("io.k8s.api.core.v1.LimitRange",
        "LimitRange sets resource usage limits for each kind of resource in a Namespace.",
        [("spec", LimitRangeSpec)]);
}
