using static KvStore.ApiServer.Schema.Types.Dsl;

namespace KvStore.ApiServer.Schema.Types;

/// <summary>networking.k8s.io/v1 IngressClass, NetworkPolicy; discovery.k8s.io/v1 EndpointSlice.</summary>
internal static class NetworkKinds
{
    private static FieldSchema Net(string name, string? description, (string, FieldSchema)[] fields, string[]? required = null) =>
        Obj("io.k8s.api.networking.v1." + name, description, fields, required);

    private static FieldSchema Discovery(string name, string? description, (string, FieldSchema)[] fields, string[]? required = null) =>
        Obj("io.k8s.api.discovery.v1." + name, description, fields, required);

    public static readonly FieldSchema IngressClassParametersReference = Net("IngressClassParametersReference",
        "IngressClassParametersReference identifies an API object.",
        [("apiGroup", Str), ("kind", Str), ("name", Str), ("namespace", Str), ("scope", Str)], ["name"]);

    public static readonly FieldSchema IngressClassSpec = Net("IngressClassSpec",
        "IngressClassSpec provides information about the class of an Ingress.",
        [("controller", Str), ("parameters", IngressClassParametersReference)]);

    public static readonly FieldSchema IngressClass = Kind("io.k8s.api.networking.v1.IngressClass",
        "IngressClass represents the class of the Ingress, referenced by the Ingress Spec.",
        [("spec", IngressClassSpec)]);

    public static readonly FieldSchema IPBlock = Net("IPBlock", "IPBlock describes a particular CIDR (Ex.",
        [("cidr", Str), ("except", StrList)], ["cidr"]);

    public static readonly FieldSchema NetworkPolicyPeer = Net("NetworkPolicyPeer", "NetworkPolicyPeer describes a peer to allow traffic to/from.",
        [("ipBlock", IPBlock), ("namespaceSelector", MetaTypes.LabelSelector), ("podSelector", MetaTypes.LabelSelector)]);

    public static readonly FieldSchema NetworkPolicyPort = Net("NetworkPolicyPort", "NetworkPolicyPort describes a port to allow traffic on",
        [("endPort", I32), ("port", IntOrStr), ("protocol", Str)]);

    public static readonly FieldSchema NetworkPolicyEgressRule = Net("NetworkPolicyEgressRule",
        "NetworkPolicyEgressRule describes a particular set of traffic that is allowed out of pods matched by a NetworkPolicySpec's podSelector.",
        [("ports", Atomic(NetworkPolicyPort)), ("to", Atomic(NetworkPolicyPeer))]);

    public static readonly FieldSchema NetworkPolicyIngressRule = Net("NetworkPolicyIngressRule",
        "NetworkPolicyIngressRule describes a particular set of traffic that is allowed to the pods matched by a NetworkPolicySpec's podSelector.",
        [("from", Atomic(NetworkPolicyPeer)), ("ports", Atomic(NetworkPolicyPort))]);

    public static readonly FieldSchema NetworkPolicySpec = Net("NetworkPolicySpec", "NetworkPolicySpec provides the specification of a NetworkPolicy",
        [("egress", Atomic(NetworkPolicyEgressRule)), ("ingress", Atomic(NetworkPolicyIngressRule)), ("podSelector", MetaTypes.LabelSelector),
            ("policyTypes", StrList)]);

    public static readonly FieldSchema NetworkPolicy = Kind("io.k8s.api.networking.v1.NetworkPolicy",
        "NetworkPolicy describes what network traffic is allowed for a set of Pods",
        [("spec", NetworkPolicySpec)]);

    public static readonly FieldSchema EndpointConditions = Discovery("EndpointConditions",
        "EndpointConditions represents the current condition of an endpoint.",
        [("ready", Bool), ("serving", Bool), ("terminating", Bool)]);

    public static readonly FieldSchema ForNode = Discovery("ForNode", "ForNode provides information about which nodes should consume this endpoint.",
        [("name", Str)], ["name"]);

    public static readonly FieldSchema ForZone = Discovery("ForZone", "ForZone provides information about which zones should consume this endpoint.",
        [("name", Str)], ["name"]);

    public static readonly FieldSchema EndpointHints = Discovery("EndpointHints",
        "EndpointHints provides hints describing how an endpoint should be consumed.",
        [("forNodes", Atomic(ForNode)), ("forZones", Atomic(ForZone))]);

    public static readonly FieldSchema Endpoint = Discovery("Endpoint", "Endpoint represents a single logical \"backend\" implementing a service.",
        [("addresses", SetList(Str)), ("conditions", EndpointConditions), ("deprecatedTopology", StrMap), ("hints", EndpointHints), ("hostname", Str),
            ("nodeName", Str), ("targetRef", CoreKinds.ObjectReference), ("zone", Str)], ["addresses"]);

    public static readonly FieldSchema EndpointPort = Discovery("EndpointPort", "EndpointPort represents a Port used by an EndpointSlice",
        [("appProtocol", Str), ("name", Str), ("port", I32), ("protocol", Str)]);

    public static readonly FieldSchema EndpointSlice = Kind("io.k8s.api.discovery.v1.EndpointSlice",
        "EndpointSlice represents a set of service endpoints.",
        [("addressType", Str), ("endpoints", Atomic(Endpoint)), ("ports", Atomic(EndpointPort))], ["addressType"]);
}
