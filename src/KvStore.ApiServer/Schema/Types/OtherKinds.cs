using static KvStore.ApiServer.Schema.Types.Dsl;

namespace KvStore.ApiServer.Schema.Types;

/// <summary>networking.k8s.io/v1 Ingress, autoscaling/v2 HorizontalPodAutoscaler, coordination.k8s.io/v1 Lease.</summary>
internal static class OtherKinds
{
    private static FieldSchema Net(string name, string? description, (string, FieldSchema)[] fields, string[]? required = null,
        string? mapType = null) => Obj("io.k8s.api.networking.v1." + name, description, fields, required, mapType);

    private static FieldSchema Hpa(string name, string? description, (string, FieldSchema)[] fields, string[]? required = null,
        string? mapType = null) => Obj("io.k8s.api.autoscaling.v2." + name, description, fields, required, mapType);

    public static readonly FieldSchema IngressBackend = Net("IngressBackend",
        "IngressBackend describes all endpoints for a given service and port.",
        [
            ("resource", VolumeTypes.TypedLocalObjectReference),
            ("service", Net("IngressServiceBackend", "IngressServiceBackend references a Kubernetes Service as a Backend.",
                [
                    ("name", Str),
                    ("port", Net("ServiceBackendPort", "ServiceBackendPort is the service port being referenced.", [("name", Str), ("number", I32)],
                        mapType: "atomic")),
                ], ["name"])),
        ]);

    public static readonly FieldSchema IngressPortStatus = Net("IngressPortStatus",
        "IngressPortStatus represents the error condition of a service port",
        [("error", Str), ("port", I32), ("protocol", Str)], ["port", "protocol"]);

    public static readonly FieldSchema Ingress = Kind("io.k8s.api.networking.v1.Ingress",
        "Ingress is a collection of rules that allow inbound connections to reach the endpoints defined by a backend.",
        [
            ("spec", Net("IngressSpec", "IngressSpec describes the Ingress the user wishes to exist.",
                [
                    ("defaultBackend", IngressBackend),
                    ("ingressClassName", Str),
                    ("rules", Atomic(Net("IngressRule",
                        "IngressRule represents the rules mapping the paths under a specified host to the related backend services.",
                        [
                            ("host", Str),
                            ("http", Net("HTTPIngressRuleValue", "HTTPIngressRuleValue is a list of http selectors pointing to backends.",
                                [("paths", Atomic(Net("HTTPIngressPath", "HTTPIngressPath associates a path with a backend.",
                                    [("backend", IngressBackend), ("path", Str), ("pathType", Enum("Exact", "ImplementationSpecific", "Prefix"))],
                                    ["pathType", "backend"])))], ["paths"])),
                        ]))),
                    ("tls", Atomic(Net("IngressTLS", "IngressTLS describes the transport layer security associated with an ingress.",
                        [("hosts", StrList), ("secretName", Str)]))),
                ])),
            ("status", Net("IngressStatus", "IngressStatus describe the current state of the Ingress.",
                [("loadBalancer", Net("IngressLoadBalancerStatus", "IngressLoadBalancerStatus represents the status of a load-balancer.",
                    [("ingress", Atomic(Net("IngressLoadBalancerIngress",
                        "IngressLoadBalancerIngress represents the status of a load-balancer ingress point.",
                        [("hostname", Str), ("ip", Str), ("ports", Atomic(IngressPortStatus))])))]))])),
        ]);

    public static readonly FieldSchema CrossVersionObjectReference = Hpa("CrossVersionObjectReference",
        "CrossVersionObjectReference contains enough information to let you identify the referred resource.",
        [("apiVersion", Str), ("kind", Str), ("name", Str)], ["kind", "name"]);

    public static readonly FieldSchema MetricIdentifier = Hpa("MetricIdentifier",
        "MetricIdentifier defines the name and optionally selector for a metric",
        [("name", Str), ("selector", MetaTypes.LabelSelector)], ["name"]);

    public static readonly FieldSchema MetricTarget = Hpa("MetricTarget",
        "MetricTarget defines the target value, average value, or average utilization of a specific metric",
        [("averageUtilization", I32), ("averageValue", Quantity), ("type", Enum("AverageValue", "Utilization", "Value")), ("value", Quantity)],
        ["type"]);

    public static readonly FieldSchema MetricValueStatus = Hpa("MetricValueStatus", "MetricValueStatus holds the current value for a metric",
        [("averageUtilization", I32), ("averageValue", Quantity), ("value", Quantity)]);

    public static readonly FieldSchema MetricSpec = Hpa("MetricSpec",
        "MetricSpec specifies how to scale based on a single metric (only `type` and one other matching field should be set at once).",
        [
            ("containerResource", Hpa("ContainerResourceMetricSource",
                "ContainerResourceMetricSource indicates how to scale on a resource metric known to Kubernetes.",
                [("container", Str), ("name", Str), ("target", MetricTarget)], ["name", "target", "container"])),
            ("external", Hpa("ExternalMetricSource",
                "ExternalMetricSource indicates how to scale on a metric not associated with any Kubernetes object.",
                [("metric", MetricIdentifier), ("target", MetricTarget)], ["metric", "target"])),
            ("object", Hpa("ObjectMetricSource", "ObjectMetricSource indicates how to scale on a metric describing a kubernetes object.",
                [("describedObject", CrossVersionObjectReference), ("metric", MetricIdentifier), ("target", MetricTarget)],
                ["describedObject", "target", "metric"])),
            ("pods", Hpa("PodsMetricSource", "PodsMetricSource indicates how to scale on a metric describing each pod in the current scale target.",
                [("metric", MetricIdentifier), ("target", MetricTarget)], ["metric", "target"])),
            ("resource", Hpa("ResourceMetricSource", "ResourceMetricSource indicates how to scale on a resource metric known to Kubernetes.",
                [("name", Str), ("target", MetricTarget)], ["name", "target"])),
            ("type", Enum("ContainerResource", "External", "Object", "Pods", "Resource")),
        ], ["type"]);

    public static readonly FieldSchema MetricStatus = Hpa("MetricStatus", "MetricStatus describes the last-read state of a single metric.",
        [
            ("containerResource", Hpa("ContainerResourceMetricStatus",
                "ContainerResourceMetricStatus indicates the current value of a resource metric known to Kubernetes.",
                [("container", Str), ("current", MetricValueStatus), ("name", Str)], ["name", "current", "container"])),
            ("external", Hpa("ExternalMetricStatus",
                "ExternalMetricStatus indicates the current value of a global metric not associated with any Kubernetes object.",
                [("current", MetricValueStatus), ("metric", MetricIdentifier)], ["metric", "current"])),
            ("object", Hpa("ObjectMetricStatus", "ObjectMetricStatus indicates the current value of a metric describing a kubernetes object.",
                [("current", MetricValueStatus), ("describedObject", CrossVersionObjectReference), ("metric", MetricIdentifier)],
                ["metric", "current", "describedObject"])),
            ("pods", Hpa("PodsMetricStatus",
                "PodsMetricStatus indicates the current value of a metric describing each pod in the current scale target.",
                [("current", MetricValueStatus), ("metric", MetricIdentifier)], ["metric", "current"])),
            ("resource", Hpa("ResourceMetricStatus", "ResourceMetricStatus indicates the current value of a resource metric known to Kubernetes.",
                [("current", MetricValueStatus), ("name", Str)], ["name", "current"])),
            ("type", Str),
        ], ["type"]);

    public static readonly FieldSchema HpaScalingRules = Hpa("HPAScalingRules",
        "HPAScalingRules configures the scaling behavior for one direction.",
        [
            ("policies", Atomic(Hpa("HPAScalingPolicy", "HPAScalingPolicy is a single policy which must hold true for a specified past interval.",
                [("periodSeconds", I32), ("type", Enum("Percent", "Pods")), ("value", I32)], ["type", "value", "periodSeconds"]))),
            ("selectPolicy", Enum("Disabled", "Max", "Min")), ("stabilizationWindowSeconds", I32),
        ]);

    public static readonly FieldSchema HorizontalPodAutoscaler = Kind("io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler",
        "HorizontalPodAutoscaler is the configuration for a horizontal pod autoscaler, " +
            "which automatically manages the replica count of any resource implementing the scale subresource based on the metrics specified.",
        [
            ("spec", Hpa("HorizontalPodAutoscalerSpec",
                "HorizontalPodAutoscalerSpec describes the desired functionality of the HorizontalPodAutoscaler.",
                [
                    ("behavior", Hpa("HorizontalPodAutoscalerBehavior",
                        "HorizontalPodAutoscalerBehavior configures the scaling behavior of the target in both Up and Down directions.",
                        [("scaleDown", HpaScalingRules), ("scaleUp", HpaScalingRules)])),
                    ("maxReplicas", I32), ("metrics", Atomic(MetricSpec)), ("minReplicas", I32),
                    ("scaleTargetRef", CrossVersionObjectReference),
                ], ["scaleTargetRef", "maxReplicas"])),
            ("status", Hpa("HorizontalPodAutoscalerStatus",
                "HorizontalPodAutoscalerStatus describes the current status of a horizontal pod autoscaler.",
                [
                    ("conditions", MergeMap(Hpa("HorizontalPodAutoscalerCondition",
                        "HorizontalPodAutoscalerCondition describes the state of a HorizontalPodAutoscaler at a certain point.",
                        [("lastTransitionTime", Time), ("message", Str), ("reason", Str), ("status", Str), ("type", Str)], ["type", "status"]),
                            "type")),
                    ("currentMetrics", Atomic(MetricStatus)), ("currentReplicas", I32), ("desiredReplicas", I32),
                    ("lastScaleTime", Time), ("observedGeneration", I64),
                ], ["desiredReplicas"])),
        ]);

    private static FieldSchema HpaV1(string name, string? description, (string, FieldSchema)[] fields, string[]? required = null) =>
        Obj("io.k8s.api.autoscaling.v1." + name, description, fields, required);

    /// <summary>autoscaling/v1's form of the same objects (stored as v2: Resources.HpaV1).</summary>
    public static readonly FieldSchema HorizontalPodAutoscalerV1 = Kind("io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler",
        "configuration of a horizontal pod autoscaler.",
        [
            ("spec", HpaV1("HorizontalPodAutoscalerSpec", "specification of a horizontal pod autoscaler.",
                [
                    ("maxReplicas", I32), ("minReplicas", I32),
                    ("scaleTargetRef", HpaV1("CrossVersionObjectReference",
                        "CrossVersionObjectReference contains enough information to let you identify the referred resource.",
                        [("apiVersion", Str), ("kind", Str), ("name", Str)], ["kind", "name"])),
                    ("targetCPUUtilizationPercentage", I32),
                ], ["scaleTargetRef", "maxReplicas"])),
            ("status", HpaV1("HorizontalPodAutoscalerStatus", "current status of a horizontal pod autoscaler",
                [
                    ("currentCPUUtilizationPercentage", I32), ("currentReplicas", I32), ("desiredReplicas", I32),
                    ("lastScaleTime", Time), ("observedGeneration", I64),
                ], ["currentReplicas", "desiredReplicas"])),
        ]);

    public static readonly FieldSchema Lease = Kind("io.k8s.api.coordination.v1.Lease",
        "Lease defines a lease concept.",
        [
            ("spec", Obj("io.k8s.api.coordination.v1.LeaseSpec", "LeaseSpec is a specification of a Lease.",
                [
                    ("acquireTime", MicroTime), ("holderIdentity", Str), ("leaseDurationSeconds", I32), ("leaseTransitions", I32),
                    ("preferredHolder", Str), ("renewTime", MicroTime), ("strategy", Str),
                ])),
        ]);
}
