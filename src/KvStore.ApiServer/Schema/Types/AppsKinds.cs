using static KvStore.ApiServer.Schema.Types.Dsl;

namespace KvStore.ApiServer.Schema.Types;

/// <summary>apps/v1: Deployment, ReplicaSet, StatefulSet, DaemonSet (k8s.io/api/apps/v1/types.go).</summary>
internal static class AppsKinds
{
    private static FieldSchema Apps(string name, string? description, (string, FieldSchema)[] fields, string[]? required = null) =>
        Obj("io.k8s.api.apps.v1." + name, description, fields, required);

    private static FieldSchema ConditionOf(string name, bool lastUpdate = false) => Apps(name,
        $"{name} describes the state of a {name.Replace("Condition", "")} at a certain point.",
        [
            ("lastTransitionTime", Time), .. (lastUpdate ? new[] { ("lastUpdateTime", Time) } : []), ("message", Str),
            ("reason", Str), ("status", Str), ("type", Str),
        ], ["type", "status"]);

    private static readonly FieldSchema Selector = MetaTypes.LabelSelector.Doc(
        "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. " +
            "It must match the pod template's labels.");

    private static readonly FieldSchema Template = PodTypes.PodTemplateSpec.Doc(
        "Template describes the pods that will be created.");

    public static readonly FieldSchema Deployment = Kind("io.k8s.api.apps.v1.Deployment",
        "Deployment enables declarative updates for Pods and ReplicaSets.",
        [
            ("spec", Apps("DeploymentSpec", "DeploymentSpec is the specification of the desired behavior of the Deployment.",
                [
                    ("minReadySeconds", I32.Doc("Seconds a new pod must be ready before it counts as available. Defaults to 0.")),
                        ("paused", Bool.Doc("Whether the deployment is paused.")), ("progressDeadlineSeconds",
                        I32.Doc("Seconds before a stalled rollout is reported as failed. Defaults to 600.")),
                    ("replicas", I32.Doc("Number of desired pods. Defaults to 1.")), ("revisionHistoryLimit",
                        I32.Doc("Old ReplicaSets kept for rollback. Defaults to 10.")),
                    ("selector", Selector),
                    ("strategy", Apps("DeploymentStrategy", "DeploymentStrategy describes how to replace existing pods with new ones.",
                        [
                            ("rollingUpdate", Apps("RollingUpdateDeployment", "Spec to control the desired behavior of rolling update.",
                                [("maxSurge", IntOrStr), ("maxUnavailable", IntOrStr)])),
                            ("type", Enum("Recreate", "RollingUpdate")),
                        ])),
                    ("template", Template),
                ], ["selector", "template"])),
            ("status", Apps("DeploymentStatus", "DeploymentStatus is the most recently observed status of the Deployment.",
                [
                    ("availableReplicas", I32), ("collisionCount", I32), ("conditions", MergeMap(ConditionOf("DeploymentCondition", true), "type")),
                    ("observedGeneration", I64), ("readyReplicas", I32), ("replicas", I32),
                    ("unavailableReplicas", I32), ("updatedReplicas", I32),
                ])),
        ]);

    public static readonly FieldSchema ReplicaSet = Kind("io.k8s.api.apps.v1.ReplicaSet",
        "ReplicaSet ensures that a specified number of pod replicas are running at any given time.",
        [
            ("spec", Apps("ReplicaSetSpec", "ReplicaSetSpec is the specification of a ReplicaSet.",
                [("minReadySeconds", I32), ("replicas", I32), ("selector", Selector), ("template", Template)], ["selector"])),
            ("status", Apps("ReplicaSetStatus", "ReplicaSetStatus represents the current status of a ReplicaSet.",
                [
                    ("availableReplicas", I32), ("conditions", MergeMap(ConditionOf("ReplicaSetCondition"), "type")),
                    ("fullyLabeledReplicas", I32), ("observedGeneration", I64), ("readyReplicas", I32), ("replicas", I32),
                ], ["replicas"])),
        ]);

    public static readonly FieldSchema StatefulSet = Kind("io.k8s.api.apps.v1.StatefulSet",
        "StatefulSet represents a set of pods with consistent identities.",
        [
            ("spec", Apps("StatefulSetSpec", "A StatefulSetSpec is the specification of a StatefulSet.",
                [
                    ("minReadySeconds", I32),
                    ("ordinals", Apps("StatefulSetOrdinals",
                        "StatefulSetOrdinals describes the policy used for replica ordinal assignment in this StatefulSet.", [("start", I32)])),
                    ("persistentVolumeClaimRetentionPolicy", Apps("StatefulSetPersistentVolumeClaimRetentionPolicy",
                        "StatefulSetPersistentVolumeClaimRetentionPolicy describes the policy used for PVCs created from the StatefulSet " +
                            "VolumeClaimTemplates.",
                        [("whenDeleted", Str), ("whenScaled", Str)])),
                    ("podManagementPolicy", Enum("OrderedReady", "Parallel")),
                    ("replicas", I32), ("revisionHistoryLimit", I32), ("selector", Selector), ("serviceName", Str), ("template", Template),
                    ("updateStrategy", Apps("StatefulSetUpdateStrategy",
                        "StatefulSetUpdateStrategy indicates the strategy that the StatefulSet controller will use to perform updates.",
                        [
                            ("rollingUpdate", Apps("RollingUpdateStatefulSetStrategy",
                                "RollingUpdateStatefulSetStrategy is used to communicate parameter for RollingUpdateStatefulSetStrategyType.",
                                [("maxUnavailable", IntOrStr), ("partition", I32)])),
                            ("type", Enum("OnDelete", "RollingUpdate")),
                        ])),
                    ("volumeClaimTemplates", Atomic(VolumeTypes.PersistentVolumeClaim)),
                ], ["selector", "template"])),
            ("status", Apps("StatefulSetStatus", "StatefulSetStatus represents the current state of a StatefulSet.",
                [
                    ("availableReplicas", I32), ("collisionCount", I32), ("conditions", MergeMap(ConditionOf("StatefulSetCondition"), "type")),
                    ("currentReplicas", I32), ("currentRevision", Str), ("observedGeneration", I64), ("readyReplicas", I32),
                    ("replicas", I32), ("updateRevision", Str), ("updatedReplicas", I32),
                ], ["replicas"])),
        ]);

    public static readonly FieldSchema DaemonSet = Kind("io.k8s.api.apps.v1.DaemonSet",
        "DaemonSet represents the configuration of a daemon set.",
        [
            ("spec", Apps("DaemonSetSpec", "DaemonSetSpec is the specification of a daemon set.",
                [
                    ("minReadySeconds", I32), ("revisionHistoryLimit", I32), ("selector", Selector), ("template", Template),
                    ("updateStrategy", Apps("DaemonSetUpdateStrategy",
                        "DaemonSetUpdateStrategy is a struct used to control the update strategy for a DaemonSet.",
                        [
                            ("rollingUpdate", Apps("RollingUpdateDaemonSet", "Spec to control the desired behavior of daemon set rolling update.",
                                [("maxSurge", IntOrStr), ("maxUnavailable", IntOrStr)])),
                            ("type", Enum("OnDelete", "RollingUpdate")),
                        ])),
                ], ["selector", "template"])),
            ("status", Apps("DaemonSetStatus", "DaemonSetStatus represents the current status of a daemon set.",
                [
                    ("collisionCount", I32), ("conditions", MergeMap(ConditionOf("DaemonSetCondition"), "type")),
                    ("currentNumberScheduled", I32), ("desiredNumberScheduled", I32), ("numberAvailable", I32),
                    ("numberMisscheduled", I32), ("numberReady", I32), ("numberUnavailable", I32),
                    ("observedGeneration", I64), ("updatedNumberScheduled", I32),
                ], ["currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady"])),
        ]);
}
