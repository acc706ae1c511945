using static KvStore.ApiServer.Schema.Types.Dsl;

namespace KvStore.ApiServer.Schema.Types;

/// <summary>core/v1 structs of node and container status (config source, runtime handlers, resource health, container user).</summary>
internal static class NodeTypes
{
    public static readonly FieldSchema ConfigMapNodeConfigSource = Core("ConfigMapNodeConfigSource",
        "ConfigMapNodeConfigSource contains the information to reference a ConfigMap as a config source for the Node.",
        [("kubeletConfigKey", Str), ("name", Str), ("namespace", Str), ("resourceVersion", Str), ("uid", Str)],
            ["kubeletConfigKey", "name", "namespace"]);

    public static readonly FieldSchema NodeConfigSource = Core("NodeConfigSource", "NodeConfigSource specifies a source of node configuration.",
        [("configMap", ConfigMapNodeConfigSource)]);

    public static readonly FieldSchema NodeSwapStatus = Core("NodeSwapStatus", "NodeSwapStatus represents swap memory information.",
        [("capacity", I64)]);

    public static readonly FieldSchema NodeConfigStatus = Core("NodeConfigStatus",
        "NodeConfigStatus describes the status of the config assigned by Node.Spec.ConfigSource.",
        [("active", NodeConfigSource), ("assigned", NodeConfigSource), ("error", Str), ("lastKnownGood", NodeConfigSource)]);

    public static readonly FieldSchema NodeFeatures = Core("NodeFeatures",
        "NodeFeatures describes the set of features implemented by the CRI implementation.",
        [("supplementalGroupsPolicy", Bool)]);

    public static readonly FieldSchema NodeRuntimeHandlerFeatures = Core("NodeRuntimeHandlerFeatures",
        "NodeRuntimeHandlerFeatures is a set of features implemented by the runtime handler.",
        [("recursiveReadOnlyMounts", Bool), ("userNamespaces", Bool)]);

    public static readonly FieldSchema NodeRuntimeHandler = Core("NodeRuntimeHandler", "NodeRuntimeHandler is a set of runtime handler information.",
        [("features", NodeRuntimeHandlerFeatures), ("name", Str)]);

    public static readonly FieldSchema ResourceHealth = Core("ResourceHealth", "ResourceHealth represents the health of a resource.",
        [("health", Str), ("message", Str), ("resourceID", Str)], ["resourceID"]);

    public static readonly FieldSchema ResourceStatus = Core("ResourceStatus",
        "ResourceStatus represents the status of a single resource allocated to a Pod.",
        [("name", Str), ("resources", MapList(ResourceHealth, ["resourceID"]))], ["name"]);

    public static readonly FieldSchema LinuxContainerUser = Core("LinuxContainerUser",
        "LinuxContainerUser represents user identity information in Linux containers",
        [("gid", I64), ("supplementalGroups", Atomic(I64)), ("uid", I64)], ["gid", "uid"]);

    public static readonly FieldSchema ContainerUser = Core("ContainerUser", "ContainerUser represents user identity information",
        [("linux", LinuxContainerUser)]);

    public static readonly FieldSchema PodResourceClaimStatus = Core("PodResourceClaimStatus",
        "PodResourceClaimStatus is stored in the PodStatus for each PodResourceClaim which references a ResourceClaimTemplate.",
        [("name", Str), ("resourceClaimName", Str)], ["name"]);
}
