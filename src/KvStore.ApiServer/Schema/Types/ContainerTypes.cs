using static KvStore.ApiServer.Schema.Types.Dsl;

namespace KvStore.ApiServer.Schema.Types;

/// <summary>core/v1 Container and what it is made of (k8s.io/api/core/v1/types.go), with the Go patch tags.</summary>
internal static class ContainerTypes
{
    public static readonly FieldSchema ContainerPort = Core("ContainerPort",
        "ContainerPort represents a network port in a single container.",
        [
            ("containerPort", I32.Doc("Number of port to expose on the pod's IP address. This must be a valid port number, 0 < x < 65536.")),
            ("hostIP", Str), ("hostPort", I32), ("name", Str), ("protocol", Enum("SCTP", "TCP", "UDP")),
        ], ["containerPort"]);

    public static readonly FieldSchema ConfigMapKeySelector = Core("ConfigMapKeySelector", "Selects a key from a ConfigMap.",
        [("key", Str), ("name", Str), ("optional", Bool)], ["key"], mapType: "atomic");

    public static readonly FieldSchema SecretKeySelector = Core("SecretKeySelector", "SecretKeySelector selects a key of a Secret.",
        [("key", Str), ("name", Str), ("optional", Bool)], ["key"], mapType: "atomic");

    public static readonly FieldSchema ObjectFieldSelector = Core("ObjectFieldSelector",
        "ObjectFieldSelector selects an APIVersioned field of an object.",
        [("apiVersion", Str), ("fieldPath", Str)], ["fieldPath"], mapType: "atomic");

    public static readonly FieldSchema ResourceFieldSelector = Core("ResourceFieldSelector",
        "ResourceFieldSelector represents container resources (cpu, memory) and their output format",
        [("containerName", Str), ("divisor", Quantity), ("resource", Str)], ["resource"], mapType: "atomic");

    public static readonly FieldSchema EnvVarSource = Core("EnvVarSource", "EnvVarSource represents a source for the value of an EnvVar.",
        [
            ("configMapKeyRef", ConfigMapKeySelector), ("fieldRef", ObjectFieldSelector), ("resourceFieldRef", ResourceFieldSelector),
            ("secretKeyRef", SecretKeySelector),
        ]);

    public static readonly FieldSchema EnvVar = Core("EnvVar", "EnvVar represents an environment variable present in a Container.",
        [("name", Str), ("value", Str), ("valueFrom", EnvVarSource)], ["name"]);

    public static readonly FieldSchema ConfigMapEnvSource = Core("ConfigMapEnvSource",
        "ConfigMapEnvSource selects a ConfigMap to populate the environment variables with.",
        [("name", Str), ("optional", Bool)]);

    public static readonly FieldSchema SecretEnvSource = Core("SecretEnvSource",
        "SecretEnvSource selects a Secret to populate the environment variables with.",
        [("name", Str), ("optional", Bool)]);

    public static readonly FieldSchema EnvFromSource = Core("EnvFromSource", "EnvFromSource represents the source of a set of ConfigMaps or Secrets",
        [("configMapRef", ConfigMapEnvSource), ("prefix", Str), ("secretRef", SecretEnvSource)]);

    public static readonly FieldSchema ResourceClaim = Core("ResourceClaim", "ResourceClaim references one entry in PodSpec.ResourceClaims.",
        [("name", Str), ("request", Str)], ["name"]);

    public static readonly FieldSchema ResourceRequirements = Core("ResourceRequirements",
        "ResourceRequirements describes the compute resource requirements.",
        [
            ("claims", MergeMap(ResourceClaim, "name").WithoutPatch()),
            ("limits", QuantityMap.Doc("Limits describes the maximum amount of compute resources allowed.")),
            ("requests", QuantityMap.Doc("Requests describes the minimum amount of compute resources required.")),
        ]);

    public static readonly FieldSchema ContainerResizePolicy = Core("ContainerResizePolicy",
        "ContainerResizePolicy represents resource resize policy for the container.",
        [("resourceName", Str), ("restartPolicy", Str)], ["resourceName", "restartPolicy"]);

    public static readonly FieldSchema VolumeMount = Core("VolumeMount", "VolumeMount describes a mounting of a Volume within a container.",
        [
            ("mountPath", Str), ("mountPropagation", Str), ("name", Str), ("readOnly", Bool), ("recursiveReadOnly", Str),
            ("subPath", Str), ("subPathExpr", Str),
        ], ["name", "mountPath"]);

    public static readonly FieldSchema VolumeDevice = Core("VolumeDevice",
        "volumeDevice describes a mapping of a raw block device within a container.",
        [("devicePath", Str), ("name", Str)], ["name", "devicePath"]);

    public static readonly FieldSchema ExecAction = Core("ExecAction", "ExecAction describes a \"run in container\" action.",
        [("command", StrList)]);

    public static readonly FieldSchema HttpHeader = Core("HTTPHeader", "HTTPHeader describes a custom header to be used in HTTP probes",
        [("name", Str), ("value", Str)], ["name", "value"]);

    public static readonly FieldSchema HttpGetAction = Core("HTTPGetAction", "HTTPGetAction describes an action based on HTTP Get requests.",
        [("host", Str), ("httpHeaders", Atomic(HttpHeader)), ("path", Str), ("port", IntOrStr), ("scheme", Enum("HTTP", "HTTPS"))],
        ["port"]);

    public static readonly FieldSchema TcpSocketAction = Core("TCPSocketAction", "TCPSocketAction describes an action based on opening a socket",
        [("host", Str), ("port", IntOrStr)], ["port"]);

    public static readonly FieldSchema GrpcAction = Core("GRPCAction", "GRPCAction specifies an action involving a GRPC service.",
        [("port", I32), ("service", Str)], ["port"]);

    public static readonly FieldSchema SleepAction = Core("SleepAction", "SleepAction describes a \"sleep\" action.",
        [("seconds", I64)], ["seconds"]);

    public static readonly FieldSchema Probe = Core("Probe",
        "Probe describes a health check to be performed against a container to determine whether it is alive or ready to receive traffic.",
        [
            ("exec", ExecAction), ("failureThreshold", I32), ("grpc", GrpcAction), ("httpGet", HttpGetAction),
            ("initialDelaySeconds", I32), ("periodSeconds", I32), ("successThreshold", I32), ("tcpSocket", TcpSocketAction),
            ("terminationGracePeriodSeconds", I64), ("timeoutSeconds", I32),
        ]);

    public static readonly FieldSchema LifecycleHandler = Core("LifecycleHandler",
        "LifecycleHandler defines a specific action that should be taken in a lifecycle hook.",
        [("exec", ExecAction), ("httpGet", HttpGetAction), ("sleep", SleepAction), ("tcpSocket", TcpSocketAction)]);

    public static readonly FieldSchema Lifecycle = Core("Lifecycle",
        "Lifecycle describes actions that the management system should take in response to container lifecycle events.",
        [("postStart", LifecycleHandler), ("preStop", LifecycleHandler)]);

    public static readonly FieldSchema Capabilities = Core("Capabilities", "Adds and removes POSIX capabilities from running containers.",
        [("add", StrList), ("drop", StrList)]);

    public static readonly FieldSchema SeLinuxOptions = Core("SELinuxOptions", "SELinuxOptions are the labels to be applied to the container",
        [("level", Str), ("role", Str), ("type", Str), ("user", Str)]);

    public static readonly FieldSchema SeccompProfile = Core("SeccompProfile", "SeccompProfile defines a pod/container's seccomp profile settings.",
        [("localhostProfile", Str), ("type", Enum("Localhost", "RuntimeDefault", "Unconfined"))], ["type"]);

    public static readonly FieldSchema AppArmorProfile = Core("AppArmorProfile", "AppArmorProfile defines a pod or container's AppArmor settings.",
        [("localhostProfile", Str), ("type", Enum("Localhost", "RuntimeDefault", "Unconfined"))], ["type"]);

    public static readonly FieldSchema WindowsSecurityContextOptions = Core("WindowsSecurityContextOptions",
        "WindowsSecurityContextOptions contain Windows-specific options and credentials.",
        [("gmsaCredentialSpec", Str), ("gmsaCredentialSpecName", Str), ("hostProcess", Bool), ("runAsUserName", Str)]);

    public static readonly FieldSchema SecurityContext = Core("SecurityContext",
        "SecurityContext holds security configuration that will be applied to a container.",
        [
            ("allowPrivilegeEscalation", Bool), ("appArmorProfile", AppArmorProfile), ("capabilities", Capabilities),
            ("privileged", Bool), ("procMount", Str), ("readOnlyRootFilesystem", Bool), ("runAsGroup", I64),
            ("runAsNonRoot", Bool), ("runAsUser", I64), ("seLinuxOptions", SeLinuxOptions), ("seccompProfile", SeccompProfile),
            ("windowsOptions", WindowsSecurityContextOptions),
        ]);

    private static readonly (string, FieldSchema)[] ContainerFields =
    [
        ("args", StrList.Doc("Arguments to the entrypoint.")),
        ("command", StrList.Doc("Entrypoint array. Not executed within a shell.")),
        ("env", MergeMap(EnvVar, "name").Doc("List of environment variables to set in the container.")),
        ("envFrom", Atomic(EnvFromSource).Doc("Sources (ConfigMaps, Secrets) whose keys become environment variables.")),
        ("image", Str.Doc("Container image name.")),
        ("imagePullPolicy", Enum("Always", "IfNotPresent", "Never").Doc(
            "When to pull the image: Always, IfNotPresent or Never. Defaults to Always for :latest (or no tag), IfNotPresent otherwise.")),
        ("lifecycle", Lifecycle.Doc("Actions taken right after the container starts and before it is stopped.")),
        ("livenessProbe", Probe.Doc("Periodic probe of container liveness; the container is restarted when it fails.")),
        ("name", Str.Doc("Name of the container specified as a DNS_LABEL.")),
        ("ports", MergeMap(ContainerPort, "containerPort", ["containerPort", "protocol"]).Doc("List of ports to expose from the container.")),
        ("readinessProbe", Probe.Doc("Periodic probe of container readiness; the pod leaves service endpoints while it fails.")),
        ("resizePolicy", Atomic(ContainerResizePolicy)),
        ("resources", ResourceRequirements.Doc("Compute resources (cpu, memory) this container requests and is limited to.")),
        ("restartPolicy", Str),
        ("securityContext", SecurityContext.Doc("Security options the container runs with; they override the pod's.")),
        ("startupProbe", Probe.Doc("Probe that must succeed once before liveness and readiness probes start.")),
        ("stdin", Bool), ("stdinOnce", Bool),
        ("terminationMessagePath", Str),
        ("terminationMessagePolicy", Enum("FallbackToLogsOnError", "File")),
        ("tty", Bool),
        ("volumeDevices", MergeMap(VolumeDevice, "devicePath")),
        ("volumeMounts", MergeMap(VolumeMount, "mountPath").Doc("Pod volumes to mount into the container's filesystem.")),
        ("workingDir", Str.Doc("The container's working directory; the image's default when empty.")),
    ];

    public static readonly FieldSchema Container = Core("Container",
        "A single application container that you want to run within a pod.", ContainerFields, ["name"]);

    public static readonly FieldSchema EphemeralContainer = Core("EphemeralContainer",
        "An EphemeralContainer is a temporary container that you may add to an existing Pod for user-initiated activities such as debugging.",
        [.. ContainerFields, ("targetContainerName", Str)], ["name"]);

    /// <summary>The same list without strategic-merge tags (only the apply list type), as for ResourceRequirements.claims.</summary>
    private static FieldSchema WithoutPatch(this FieldSchema list) => new()
    {
        Type = list.Type,
        Items = list.Items,
        ListType = list.ListType,
        ListMapKeys = list.ListMapKeys,
    };
}
