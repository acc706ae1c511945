using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Printing;

/// <summary>One meta.k8s.io/v1 TableColumnDefinition. Priority 1 marks a column kubectl shows only with -o wide.</summary>
internal sealed record TableColumn(string Name, string Type, string Description, int Priority = 0, string Format = "")
{
    /// <summary>The column as kube serialises it: all five fields, format "" and priority 0 included (no omitempty).</summary>
    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["type"] = Type,
        ["format"] = Format,
        ["description"] = Description,
        ["priority"] = Priority,
    };

    public static TableColumn Name_() => new("Name", "string", Docs.Name, Format: "name");

    public static TableColumn Age() => new("Age", "string", Docs.CreationTimestamp);

    public static TableColumn Containers() => new("Containers", "string", "Names of each container in the template.", 1);

    public static TableColumn Images() => new("Images", "string", "Images referenced by each container in the template.", 1);
}

/// <summary>
/// The column descriptions kube-apiserver sends: the SwaggerDoc of the field each column shows (the API reference text).
/// The ObjectMeta ones are copied from apimachinery; the others are the fields' API documentation as of 1.32.
/// </summary>
internal static class Docs
{
    public const string Name =
        "Name must be unique within a namespace. Is required when creating resources, " +
            "although some resources may allow a client to request the generation of an appropriate name automatically. " +
            "Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: " +
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

    public const string CreationTimestamp =
        "CreationTimestamp is a timestamp representing the server time when this object was created. " +
            "It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. " +
            "It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: " +
            "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

    public const string PodIP =
        "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.";

    public const string NodeName =
        "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in " +
            "schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. " +
            "This field should not be used to express a desire for the pod to be scheduled on a specific node. " +
            "https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename";

    public const string NominatedNodeName =
        "nominatedNodeName is set only when this pod preempts other pods on the node, " +
            "but it cannot be scheduled right away as preemption victims receive their graceful termination periods. " +
            "This field does not guarantee that the pod will be scheduled on this node. " +
            "Scheduler may decide to place the pod elsewhere if other nodes become available sooner. " +
            "Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, " +
            "this field may be different than PodSpec.nodeName when the pod is scheduled.";

    public const string ReadinessGates =
        "If specified, all readiness gates will be evaluated for pod readiness. " +
            "A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\" " +
            "More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates";

    public const string ServiceType =
        "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. " +
            "\"ClusterIP\" allocates a cluster-internal IP address for load-balancing to endpoints. " +
            "Endpoints are determined by the selector or if that is not specified, " +
            "by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is \"None\", " +
            "no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. " +
            "\"NodePort\" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. " +
            "\"LoadBalancer\" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the " +
            "same endpoints as the clusterIP. \"ExternalName\" aliases this service to the specified externalName. " +
            "Several other fields do not apply to ExternalName services. More info: " +
            "https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types";

    public const string ClusterIP =
        "clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, " +
            "is in-range (as per system configuration), and is not in use, it will be allocated to the service; " +
            "otherwise creation of the service will fail. This field may not be changed through updates unless the type field is also being " +
            "changed to ExternalName (which requires this field to be blank) or the type field is being changed from ExternalName (in which case " +
            "this field may optionally be specified, as describe above).  Valid values are \"None\", empty string (\"\"), or a valid IP address. " +
            "Setting this to \"None\" makes a \"headless service\" (no virtual IP), " +
            "which is useful when direct endpoint connections are preferred and proxying is not required.  Only applies to types ClusterIP, " +
            "NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, creation will fail. " +
            "This field will be wiped when updating a Service to type ExternalName. More info: " +
            "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies";

    public const string ExternalIPs =
        "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service. " +
            " These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with this IP. " +
            " A common example is external load-balancers that are not part of the Kubernetes system.";

    public const string ServicePorts =
        "The list of ports that are exposed by this service. More info: " +
            "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies";

    public const string ServiceSelector =
        "Route service traffic to pods with label keys and values matching this selector. If empty or not present, " +
            "the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. " +
            "Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: " +
            "https://kubernetes.io/docs/concepts/services-networking/service/";

    public const string EndpointsSubsets =
        "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. " +
            "A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) " +
            "will result in the address being displayed in different subsets for the different ports. " +
            "No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service.";

    public const string KubeletVersion = "Kubelet Version reported by the node.";
    public const string NodeAddresses =
        "List of addresses reachable to the node. Queried from cloud provider, if available. More info: " +
            "https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as mergeable, " +
            "but the merge key is not sufficiently unique, which can cause data corruption when it is merged. " +
            "Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. " +
            "Consumers should assume that addresses can change during the lifetime of a Node. However, " +
            "there are some exceptions where this may not be possible, such as Pods that inherit a Node's address in its own status or consumers " +
            "of the downward API (status.hostIP).";
    public const string OSImage = "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).";
    public const string KernelVersion = "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).";
    public const string ContainerRuntimeVersion =
        "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).";

    public const string EventLastTimestamp = "The time at which the most recent occurrence of this event was recorded.";
    public const string EventType = "Type of this event (Normal, Warning), new types could be added in the future";
    public const string EventReason =
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.";
    public const string EventInvolvedObject = "The object that this event is about.";
    public const string EventFieldPath =
        "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, " +
            "such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, " +
            "this would take on a value like: \"spec.containers{name}\" (where \"name\" refers to the name of the container that triggered the " +
            "event) or if no container name is specified \"spec.containers[2]\" (container with index 2 in this pod). " +
            "This syntax is chosen only to have some well-defined way of referencing a part of an object.";
    public const string EventSource = "The component reporting this event. Should be a short machine understandable string.";
    public const string EventMessage = "A human-readable description of the status of this operation.";
    public const string EventFirstTimestamp = "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)";
    public const string EventCount = "The number of times this event has occurred.";

    public const string SecretType =
        "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types";
    public const string SecretData =
        "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. " +
            "The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. " +
            "Described in https://tools.ietf.org/html/rfc4648#section-4";
    public const string ServiceAccountSecrets =
        "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use. " +
            "Pods are only limited to this list if this service account has a \"kubernetes.io/enforce-mountable-secrets\" annotation set to " +
            "\"true\". The \"kubernetes.io/enforce-mountable-secrets\" annotation is deprecated since v1.32. " +
            "Prefer separate namespaces to isolate access to mounted secrets. " +
            "This field should not be used to find auto-generated service account token secrets for use outside of pods. Instead, " +
            "tokens can be requested directly using the TokenRequest API, or service account token secrets can be manually created. More info: " +
            "https://kubernetes.io/docs/concepts/configuration/secret";
    public const string ConfigMapData =
        "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. " +
            "Values with non-UTF-8 byte sequences must use the BinaryData field. " +
            "The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.";

    public const string ReplicasDesired =
        "Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. " +
            "More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller";
    public const string ReplicaSetStatusReplicas =
        "Replicas is the most recently observed number of replicas. More info: " +
            "https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller";
    public const string ReadyReplicas = "The number of ready replicas for this replica set.";
    public const string ReplicaSetSelector =
        "Selector is a label query over pods that should match the replica count. If the selector is empty, " +
            "it is defaulted to the labels present on the pod template. Label keys and values that must match in order to be controlled by this " +
            "replica set. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors";

    public const string DesiredNumberScheduled =
        "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: " +
            "https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/";
    public const string CurrentNumberScheduled =
        "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: " +
            "https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/";
    public const string NumberReady =
        "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.";
    public const string UpdatedNumberScheduled = "The total number of nodes that are running updated daemon pod";
    public const string NumberAvailable =
        "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at " +
            "least spec.minReadySeconds)";
    public const string NodeSelector =
        "NodeSelector is a selector which must be true for the pod to fit on a node. " +
            "Selector which must match a node's labels for the pod to be scheduled on that node. More info: " +
            "https://kubernetes.io/docs/concepts/configuration/assign-pod-node/";
    public const string DaemonSetSelector =
        "A label query over pods that are managed by the daemon set. Must match in order to be controlled. If empty, " +
            "defaulted to labels on Pod template. More info: " +
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors";

    public const string UpdatedReplicas =
        "Total number of non-terminated pods targeted by this deployment that have the desired template spec.";
    public const string AvailableReplicas =
        "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.";
    public const string DeploymentSelector =
        "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.";

    public const string HpaScaleTargetRef =
        "scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, " +
            "as well as to actually change the replica count.";
    public const string HpaMetrics =
        "metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics " +
            "will be used).  The desired replica count is calculated multiplying the ratio between the target value and the current value by the " +
            "current number of pods.  Ergo, metrics used must decrease as the pod count is increased, and vice-versa. " +
            " See the individual metric source types for more information about how each type of metric must respond.";
    public const string HpaMinReplicas =
        "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.  It defaults to 1 pod. " +
            " minReplicas is allowed to be 0 if the alpha feature gate HPAScaleToZero is enabled and at least one Object or External metric is " +
            "configured.  Scaling is active as long as at least one metric value is available.";
    public const string HpaMaxReplicas =
        "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas.";
    public const string HpaCurrentReplicas =
        "currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.";

    public const string LeaseHolder =
        "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, " +
            "the holder identity must be equal to the elected LeaseCandidate.metadata.name field.";
}
