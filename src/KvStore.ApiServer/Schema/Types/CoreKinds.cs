using static KvStore.ApiServer.Schema.Types.Dsl;

namespace KvStore.ApiServer.Schema.Types;

/// <summary>The core/v1 kinds other than Pod: Namespace, Node, Service, Endpoints, ConfigMap, Secret, ServiceAccount, Event.</summary>
internal static class CoreKinds
{
    /// <summary>ObjectReference (defined with the volume leaves, which use it too).</summary>
    public static readonly FieldSchema ObjectReference = VolumeLeafTypes.ObjectReference;

    public static readonly FieldSchema Namespace = Kind("io.k8s.api.core.v1.Namespace",
        "Namespace provides a scope for Names. Use of multiple namespaces is optional.",
        [
            ("spec", Core("NamespaceSpec", "NamespaceSpec describes the attributes on a Namespace.", [("finalizers", StrList)])),
            ("status", Core("NamespaceStatus", "NamespaceStatus is information about the current status of a Namespace.",
                [
                    ("conditions", MergeMap(Core("NamespaceCondition", "NamespaceCondition contains details about state of namespace.",
                        [("lastTransitionTime", Time), ("message", Str), ("reason", Str), ("status", Str), ("type", Str)], ["type", "status"]),
                            "type")),
                    ("phase", Enum("Active", "Terminating")),
                ])),
        ]);

    public static readonly FieldSchema Taint = Core("Taint",
        "The node this Taint is attached to has the \"effect\" on any pod that does not tolerate the Taint.",
        [("effect", Enum("NoExecute", "NoSchedule", "PreferNoSchedule")), ("key", Str), ("timeAdded", Time), ("value", Str)],
        ["key", "effect"]);

    public static readonly FieldSchema NodeSpec = Core("NodeSpec", "NodeSpec describes the attributes that a node is created with.",
        [
            ("configSource", NodeTypes.NodeConfigSource), ("externalID", Str), ("podCIDR", Str), ("podCIDRs", MergeSet(Str)), ("providerID", Str),
            ("taints", Atomic(Taint)), ("unschedulable", Bool),
        ]);

    public static readonly FieldSchema NodeCondition = Core("NodeCondition", "NodeCondition contains condition information for a node.",
        [
            ("lastHeartbeatTime", Time), ("lastTransitionTime", Time), ("message", Str), ("reason", Str), ("status", Str),
            ("type", Str),
        ], ["type", "status"]);

    public static readonly FieldSchema NodeSystemInfo = Core("NodeSystemInfo", "NodeSystemInfo is a set of ids/uuids to uniquely identify the node.",
        [
            ("architecture", Str), ("bootID", Str), ("containerRuntimeVersion", Str), ("kernelVersion", Str),
            ("kubeProxyVersion", Str), ("kubeletVersion", Str), ("machineID", Str), ("operatingSystem", Str), ("osImage", Str),
                ("swap", NodeTypes.NodeSwapStatus),
            ("systemUUID", Str),
        ]);

    public static readonly FieldSchema NodeStatus = Core("NodeStatus", "NodeStatus is information about the current status of a node.",
        [
            ("addresses", MergeKeyed(Core("NodeAddress", "NodeAddress contains information for the node's address.",
                [("address", Str), ("type", Str)], ["type", "address"]), "type")),
            ("allocatable", QuantityMap),
            ("capacity", QuantityMap),
            ("conditions", MergeMap(NodeCondition, "type")),
            ("config", NodeTypes.NodeConfigStatus),
            ("daemonEndpoints", Core("NodeDaemonEndpoints", "NodeDaemonEndpoints lists ports opened by daemons running on the Node.",
                [("kubeletEndpoint", Core("DaemonEndpoint", "DaemonEndpoint contains information about a single Daemon endpoint.", [("Port", I32)],
                    ["Port"]))])),
            ("features", NodeTypes.NodeFeatures),
            ("images", Atomic(Core("ContainerImage", "Describe a container image", [("names", StrList), ("sizeBytes", I64)]))),
            ("nodeInfo", NodeSystemInfo),
            ("phase", Str),
            ("runtimeHandlers", Atomic(NodeTypes.NodeRuntimeHandler)),
            ("volumesAttached", Atomic(Core("AttachedVolume", "AttachedVolume describes a volume attached to a node",
                [("devicePath", Str), ("name", Str)], ["name", "devicePath"]))),
            ("volumesInUse", StrList),
        ]);

    public static readonly FieldSchema Node = Kind("io.k8s.api.core.v1.Node",
        "Node is a worker node in Kubernetes. Each node will have a unique identifier in the cache (i.e. in etcd).",
        [("spec", NodeSpec), ("status", NodeStatus)]);

    public static readonly FieldSchema ServicePort = Core("ServicePort", "ServicePort contains information on service's port.",
        [
            ("appProtocol", Str), ("name", Str.Doc("Name of this port within the service; required when there are several ports.")),
                ("nodePort", I32.Doc("The port on each node for NodePort and LoadBalancer services.")),
            ("port", I32.Doc("The port that will be exposed by this service.")),
            ("protocol", Enum("SCTP", "TCP", "UDP").Doc("The IP protocol of this port. Defaults to TCP.")),
                ("targetPort", IntOrStr.Doc("Number or name of the port on the selected pods. Defaults to the value of port.")),
        ], ["port"]);

    public static readonly FieldSchema ServiceSpec = Core("ServiceSpec", "ServiceSpec describes the attributes that a user creates on a service.",
        [
            ("allocateLoadBalancerNodePorts", Bool), ("clusterIP", Str.Doc(
                "The IP address of the service, allocated by the server when empty; \"None\" makes a headless service.")), ("clusterIPs", StrList),
                ("externalIPs", StrList),
            ("externalName", Str), ("externalTrafficPolicy", Enum("Cluster", "Local").Doc(
                "How traffic from external sources is routed: Cluster or Local.")), ("healthCheckNodePort", I32),
            ("internalTrafficPolicy", Enum("Cluster", "Local")), ("ipFamilies", StrList),
            ("ipFamilyPolicy", Enum("PreferDualStack", "RequireDualStack", "SingleStack")), ("loadBalancerClass", Str),
            ("loadBalancerIP", Str), ("loadBalancerSourceRanges", StrList),
            ("ports", MergeMap(ServicePort, "port", ["port", "protocol"]).Doc("The list of ports that are exposed by this service.")),
            ("publishNotReadyAddresses", Bool),
            ("selector", AtomicStrMap.Doc("Route service traffic to pods with label keys and values matching this selector.")),
            ("sessionAffinity", Enum("ClientIP", "None").Doc("ClientIP keeps a client's connections on one endpoint. Defaults to None.")),
            ("sessionAffinityConfig", Core("SessionAffinityConfig", "SessionAffinityConfig represents the configurations of session affinity.",
                [("clientIP", Core("ClientIPConfig", "ClientIPConfig represents the configurations of Client IP based session affinity.",
                    [("timeoutSeconds", I32)]))])),
            ("trafficDistribution", Str),
            ("type", Enum("ClusterIP", "ExternalName", "LoadBalancer", "NodePort").Doc(
                "How the service is exposed: ClusterIP (default), NodePort, LoadBalancer or ExternalName.")),
        ]);

    public static readonly FieldSchema PortStatus = Core("PortStatus", "PortStatus represents the error condition of a service port",
        [("error", Str), ("port", I32), ("protocol", Str)], ["port", "protocol"]);

    public static readonly FieldSchema ServiceStatus = Core("ServiceStatus", "ServiceStatus represents the current status of a service.",
        [
            ("conditions", MergeMap(MetaTypes.Condition, "type")),
            ("loadBalancer", Core("LoadBalancerStatus", "LoadBalancerStatus represents the status of a load-balancer.",
                [("ingress", Atomic(Core("LoadBalancerIngress", "LoadBalancerIngress represents the status of a load-balancer ingress point.",
                    [("hostname", Str), ("ip", Str), ("ipMode", Str), ("ports", Atomic(PortStatus))])))])),
        ]);

    public static readonly FieldSchema Service = Kind("io.k8s.api.core.v1.Service",
        "Service is a named abstraction of software service (for example, " +
            "mysql) consisting of local port (for example 3306) that the proxy listens on, " +
            "and the selector that determines which pods will answer requests sent through the proxy.",
        [("spec", ServiceSpec), ("status", ServiceStatus)]);

    public static readonly FieldSchema EndpointAddress = Core("EndpointAddress", "EndpointAddress is a tuple that describes single IP address.",
        [("hostname", Str), ("ip", Str), ("nodeName", Str), ("targetRef", ObjectReference)], ["ip"], mapType: "atomic");

    public static readonly FieldSchema Endpoints = Kind("io.k8s.api.core.v1.Endpoints",
        "Endpoints is a collection of endpoints that implement the actual service.",
        [
            ("subsets", Atomic(Core("EndpointSubset", "EndpointSubset is a group of addresses with a common set of ports.",
                [
                    ("addresses", Atomic(EndpointAddress)),
                    ("notReadyAddresses", Atomic(EndpointAddress)),
                    ("ports", Atomic(Core("EndpointPort", "EndpointPort is a tuple that describes a single port.",
                        [("appProtocol", Str), ("name", Str), ("port", I32), ("protocol", Str)], ["port"], mapType: "atomic"))),
                ]))),
        ]);

    public static readonly FieldSchema ConfigMap = Kind("io.k8s.api.core.v1.ConfigMap",
        "ConfigMap holds configuration data for pods to consume.",
        [
            ("binaryData", new FieldSchema { Type = FieldType.Map, AdditionalProperties = Bytes }),
            ("data", StrMap.Doc("Data contains the configuration data.")),
            ("immutable", Bool),
        ]);

    public static readonly FieldSchema Secret = Kind("io.k8s.api.core.v1.Secret",
        "Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes.",
        [
            ("data", new FieldSchema { Type = FieldType.Map, AdditionalProperties = Bytes, Description = "Data contains the secret data (base64)." }),
            ("immutable", Bool),
            ("stringData", StrMap.Doc("stringData allows specifying non-binary secret data in string form.")),
            ("type", Str),
        ]);

    public static readonly FieldSchema ServiceAccount = Kind("io.k8s.api.core.v1.ServiceAccount",
        "ServiceAccount binds together: a name, understood by users, and perhaps by peripheral systems, for an identity; " +
            "a principal that can be authenticated and authorized; a set of secrets",
        [
            ("automountServiceAccountToken", Bool),
            ("imagePullSecrets", Atomic(VolumeLeafTypes.LocalObjectReference)),
            ("secrets", MergeMap(ObjectReference, "name")),
        ]);

    public static readonly FieldSchema Event = Kind("io.k8s.api.core.v1.Event",
        "Event is a report of an event somewhere in the cluster.",
        [
            ("action", Str), ("count", I32), ("eventTime", MicroTime), ("firstTimestamp", Time), ("involvedObject", ObjectReference),
            ("lastTimestamp", Time), ("message", Str), ("reason", Str), ("related", ObjectReference), ("reportingComponent", Str),
            ("reportingInstance", Str),
            ("series", Core("EventSeries", "EventSeries contain information on series of events.",
                [("count", I32), ("lastObservedTime", MicroTime)])),
            ("source", Core("EventSource", "EventSource contains information for an event.", [("component", Str), ("host", Str)])),
            ("type", Str),
        ], ["metadata", "involvedObject"]);
}
