using static KvStore.ApiServer.Schema.Types.Dsl;

namespace KvStore.ApiServer.Schema.Types;

/// <summary>core/v1 PodSpec, PodStatus and PodTemplateSpec with scheduling (affinity, tolerations, spread).</summary>
internal static class PodTypes
{
    public static readonly FieldSchema NodeSelectorRequirement = Core("NodeSelectorRequirement",
        "A node selector requirement is a selector that contains values, a key, and an operator that relates the key and values.",
        [("key", Str), ("operator", Enum("DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn")), ("values", StrList)],
        ["key", "operator"]);

    public static readonly FieldSchema NodeSelectorTerm = Core("NodeSelectorTerm",
        "A null or empty node selector term matches no objects.",
        [("matchExpressions", Atomic(NodeSelectorRequirement)), ("matchFields", Atomic(NodeSelectorRequirement))],
        mapType: "atomic");

    public static readonly FieldSchema NodeSelector = Core("NodeSelector",
        "A node selector represents the union of the results of one or more label queries over a set of nodes.",
        [("nodeSelectorTerms", Atomic(NodeSelectorTerm))], ["nodeSelectorTerms"], mapType: "atomic");

    public static readonly FieldSchema PreferredSchedulingTerm = Core("PreferredSchedulingTerm",
        "An empty preferred scheduling term matches all objects with implicit weight 0.",
        [("preference", NodeSelectorTerm), ("weight", I32)], ["weight", "preference"]);

    public static readonly FieldSchema NodeAffinity = Core("NodeAffinity", "Node affinity is a group of node affinity scheduling rules.",
        [
            ("preferredDuringSchedulingIgnoredDuringExecution", Atomic(PreferredSchedulingTerm)),
            ("requiredDuringSchedulingIgnoredDuringExecution", NodeSelector),
        ]);

    public static readonly FieldSchema PodAffinityTerm = Core("PodAffinityTerm",
        "Defines a set of pods that this pod should be co-located (affinity) or not co-located (anti-affinity) with.",
        [
            ("labelSelector", MetaTypes.LabelSelector), ("matchLabelKeys", StrList), ("mismatchLabelKeys", StrList),
            ("namespaceSelector", MetaTypes.LabelSelector), ("namespaces", StrList), ("topologyKey", Str),
        ], ["topologyKey"]);

    public static readonly FieldSchema WeightedPodAffinityTerm = Core("WeightedPodAffinityTerm",
        "The weights of all of the matched WeightedPodAffinityTerm fields are added per-node to find the most preferred node(s)",
        [("podAffinityTerm", PodAffinityTerm), ("weight", I32)], ["weight", "podAffinityTerm"]);

    private static FieldSchema PodAffinityOf(string name, string description) => Core(name, description,
        [
            ("preferredDuringSchedulingIgnoredDuringExecution", Atomic(WeightedPodAffinityTerm)),
            ("requiredDuringSchedulingIgnoredDuringExecution", Atomic(PodAffinityTerm)),
        ]);

    public static readonly FieldSchema Affinity = Core("Affinity", "Affinity is a group of affinity scheduling rules.",
        [
            ("nodeAffinity", NodeAffinity),
            ("podAffinity", PodAffinityOf("PodAffinity", "Pod affinity is a group of inter pod affinity scheduling rules.")),
            ("podAntiAffinity", PodAffinityOf("PodAntiAffinity", "Pod anti affinity is a group of inter pod anti affinity scheduling rules.")),
        ]);

    public static readonly FieldSchema Toleration = Core("Toleration",
        "The pod this Toleration is attached to tolerates any taint that matches the triple <key,value,effect> using the matching operator " +
            "<operator>.",
        [
            ("effect", Enum("NoExecute", "NoSchedule", "PreferNoSchedule")), ("key", Str), ("operator", Enum("Equal", "Exists")),
            ("tolerationSeconds", I64), ("value", Str),
        ]);

    public static readonly FieldSchema TopologySpreadConstraint = Core("TopologySpreadConstraint",
        "TopologySpreadConstraint specifies how to spread matching pods among the given topology.",
        [
            ("labelSelector", MetaTypes.LabelSelector), ("matchLabelKeys", StrList), ("maxSkew", I32), ("minDomains", I32),
            ("nodeAffinityPolicy", Str), ("nodeTaintsPolicy", Str), ("topologyKey", Str),
            ("whenUnsatisfiable", Enum("DoNotSchedule", "ScheduleAnyway")),
        ], ["maxSkew", "topologyKey", "whenUnsatisfiable"]);

    public static readonly FieldSchema HostAlias = Core("HostAlias",
        "HostAlias holds the mapping between IP and hostnames that will be injected as an entry in the pod's hosts file.",
        [("hostnames", StrList), ("ip", Str)], ["ip"]);

    public static readonly FieldSchema PodDnsConfig = Core("PodDNSConfig",
        "PodDNSConfig defines the DNS parameters of a pod in addition to those generated from DNSPolicy.",
        [
            ("nameservers", StrList),
            ("options", Atomic(Core("PodDNSConfigOption", "PodDNSConfigOption defines DNS resolver options of a pod.",
                [("name", Str), ("value", Str)]))),
            ("searches", StrList),
        ]);

    public static readonly FieldSchema PodSecurityContext = Core("PodSecurityContext",
        "PodSecurityContext holds pod-level security attributes and common container settings.",
        [
            ("appArmorProfile", ContainerTypes.AppArmorProfile), ("fsGroup", I64), ("fsGroupChangePolicy", Str),
            ("runAsGroup", I64), ("runAsNonRoot", Bool), ("runAsUser", I64), ("seLinuxChangePolicy", Str),
            ("seLinuxOptions", ContainerTypes.SeLinuxOptions), ("seccompProfile", ContainerTypes.SeccompProfile),
            ("supplementalGroups", Atomic(I64)), ("supplementalGroupsPolicy", Str),
            ("sysctls", Atomic(Core("Sysctl", "Sysctl defines a kernel parameter to be set", [("name", Str), ("value", Str)], ["name", "value"]))),
            ("windowsOptions", ContainerTypes.WindowsSecurityContextOptions),
        ]);

    public static readonly FieldSchema PodSpec = Core("PodSpec", "PodSpec is a description of a pod.",
        [
            ("activeDeadlineSeconds", I64),
            ("affinity", Affinity.Doc("The pod's scheduling constraints (node affinity, pod affinity and anti-affinity).")),
            ("automountServiceAccountToken", Bool),
            ("containers", MergeMap(ContainerTypes.Container, "name").Doc(
                "List of containers belonging to the pod. There must be at least one container in a Pod.")),
            ("dnsConfig", PodDnsConfig),
            ("dnsPolicy", Enum("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None").Doc(
                "How the pod's DNS is set up. Defaults to ClusterFirst.")),
            ("enableServiceLinks", Bool),
            ("ephemeralContainers", MergeMap(ContainerTypes.EphemeralContainer, "name")),
            ("hostAliases", MergeMap(HostAlias, "ip")),
            ("hostIPC", Bool), ("hostNetwork", Bool.Doc("Use the host's network namespace. Defaults to false.")), ("hostPID", Bool),
                ("hostUsers", Bool),
            ("hostname", Str),
            ("imagePullSecrets", MergeMap(VolumeLeafTypes.LocalObjectReference, "name").Doc(
                "Secrets in the same namespace used to pull the images of this pod.")),
            ("initContainers", MergeMap(ContainerTypes.Container, "name").Doc(
                "Containers run to completion, in order, before the app containers start.")),
            ("nodeName", Str),
            ("nodeSelector", AtomicStrMap.Doc("NodeSelector is a selector which must be true for the pod to fit on a node.")),
            ("os", Core("PodOS", "PodOS defines the OS parameters of a pod.", [("name", Str)], ["name"])),
            ("overhead", QuantityMap),
            ("preemptionPolicy", Str),
            ("priority", I32),
            ("priorityClassName", Str.Doc("Name of the PriorityClass giving the pod its priority.")),
            ("readinessGates", Atomic(Core("PodReadinessGate", "PodReadinessGate contains the reference to a pod condition", [("conditionType", Str)],
                ["conditionType"]))),
            ("resourceClaims", MergeMap(Core("PodResourceClaim", "PodResourceClaim references exactly one ResourceClaim.",
                [("name", Str), ("resourceClaimName", Str), ("resourceClaimTemplateName", Str)], ["name"]), "name", strategy: "merge,retainKeys")),
            ("resources", ContainerTypes.ResourceRequirements),
            ("restartPolicy", Enum("Always", "Never", "OnFailure").Doc(
                "Restart policy of all containers in the pod: Always, OnFailure or Never. Defaults to Always.")),
            ("runtimeClassName", Str),
            ("schedulerName", Str),
            ("schedulingGates", MergeMap(Core("PodSchedulingGate", "PodSchedulingGate is associated to a Pod to guard its scheduling.",
                [("name", Str)], ["name"]), "name")),
            ("securityContext", PodSecurityContext.Doc("Pod-level security attributes and common container settings.")),
            ("serviceAccount", Str),
            ("serviceAccountName", Str.Doc("Name of the ServiceAccount the pod runs as.")),
            ("setHostnameAsFQDN", Bool),
            ("shareProcessNamespace", Bool),
            ("subdomain", Str),
            ("terminationGracePeriodSeconds", I64.Doc("Seconds the pod is given to stop gracefully. Defaults to 30.")),
            ("tolerations", Atomic(Toleration).Doc("The taints this pod tolerates.")),
            ("topologySpreadConstraints", MergeMap(TopologySpreadConstraint, "topologyKey", ["topologyKey", "whenUnsatisfiable"])),
            ("volumes", MergeMap(VolumeTypes.Volume, "name", strategy: "merge,retainKeys").Doc("Volumes that containers of this pod can mount.")),
        ], ["containers"]);

    public static readonly FieldSchema PodTemplateSpec = Core("PodTemplateSpec",
        "PodTemplateSpec describes the data a pod should have when created from a template",
        [("metadata", MetaTypes.ObjectMeta), ("spec", PodSpec)]);

    public static readonly FieldSchema ContainerState = Core("ContainerState", "ContainerState holds a possible state of container.",
        [
            ("running", Core("ContainerStateRunning", "ContainerStateRunning is a running state of a container.", [("startedAt", Time)])),
            ("terminated", Core("ContainerStateTerminated", "ContainerStateTerminated is a terminated state of a container.",
                [
                    ("containerID", Str), ("exitCode", I32), ("finishedAt", Time), ("message", Str), ("reason", Str),
                    ("signal", I32), ("startedAt", Time),
                ], ["exitCode"])),
            ("waiting", Core("ContainerStateWaiting", "ContainerStateWaiting is a waiting state of a container.",
                [("message", Str), ("reason", Str)])),
        ]);

    public static readonly FieldSchema ContainerStatus = Core("ContainerStatus",
        "ContainerStatus contains details for the current status of this container.",
        [
            ("allocatedResources", QuantityMap), ("allocatedResourcesStatus", MergeMap(NodeTypes.ResourceStatus, "name")), ("containerID", Str),
                ("image", Str),
            ("imageID", Str), ("lastState", ContainerState), ("name", Str), ("ready", Bool),
            ("resources", ContainerTypes.ResourceRequirements), ("restartCount", I32), ("started", Bool),
            ("state", ContainerState), ("user", NodeTypes.ContainerUser),
            ("volumeMounts", Atomic(Core("VolumeMountStatus", "VolumeMountStatus shows status of volume mounts.",
                [("mountPath", Str), ("name", Str), ("readOnly", Bool), ("recursiveReadOnly", Str)], ["name", "mountPath"]))),
        ], ["name", "ready", "restartCount", "image", "imageID"]);

    public static readonly FieldSchema PodCondition = Core("PodCondition", "PodCondition contains details for the current condition of this pod.",
        [
            ("lastProbeTime", Time), ("lastTransitionTime", Time), ("message", Str),
            ("reason", Str), ("status", Str), ("type", Str),
        ], ["type", "status"]);

    public static readonly FieldSchema PodIp = Core("PodIP", "PodIP represents a single IP address allocated to the pod.", [("ip", Str)], ["ip"]);

    public static readonly FieldSchema PodStatus = Core("PodStatus",
        "PodStatus represents information about the status of a pod.",
        [
            ("conditions", MergeMap(PodCondition, "type")),
            ("containerStatuses", Atomic(ContainerStatus)),
            ("ephemeralContainerStatuses", Atomic(ContainerStatus)),
            ("hostIP", Str),
            ("hostIPs", MergeKeyed(Core("HostIP", "HostIP represents a single IP address allocated to the host.", [("ip", Str)], ["ip"]), "ip",
                "atomic")),
            ("initContainerStatuses", Atomic(ContainerStatus)),
            ("message", Str),
            ("nominatedNodeName", Str),
            ("phase", Enum("Failed", "Pending", "Running", "Succeeded", "Unknown")),
            ("podIP", Str),
            ("podIPs", MergeMap(PodIp, "ip")),
            ("qosClass", Enum("BestEffort", "Burstable", "Guaranteed")),
            ("reason", Str),
            ("resize", Str),
            ("resourceClaimStatuses", MergeMap(NodeTypes.PodResourceClaimStatus, "name", strategy: "merge,retainKeys")),
            ("startTime", Time),
        ]);

    public static readonly FieldSchema Pod = Kind("io.k8s.api.core.v1.Pod",
        "Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.",
        [("spec", PodSpec), ("status", PodStatus)]);
}
