using static KvStore.ApiServer.Schema.Types.Dsl;

namespace KvStore.ApiServer.Schema.Types;

/// <summary>meta/v1 types shared by every kind (k8s.io/apimachinery/pkg/apis/meta/v1/types.go).</summary>
internal static class MetaTypes
{
    public static readonly FieldSchema OwnerReference = Meta("OwnerReference",
        "OwnerReference contains enough information to let you identify an owning object.",
        [
            ("apiVersion", Str), ("blockOwnerDeletion", Bool), ("controller", Bool), ("kind", Str), ("name", Str), ("uid", Str),
        ], ["apiVersion", "kind", "name", "uid"], mapType: "atomic");

    public static readonly FieldSchema FieldsV1 = new()
    {
        Type = FieldType.Any,
        Definition = "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
        Description = "FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.",
    };

    public static readonly FieldSchema ManagedFieldsEntry = Meta("ManagedFieldsEntry",
        "ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that the fieldset applies to.",
        [
            ("apiVersion", Str), ("fieldsType", Str), ("fieldsV1", FieldsV1), ("manager", Str), ("operation", Str),
            ("subresource", Str), ("time", Time),
        ]);

    public static readonly FieldSchema ObjectMeta = Meta("ObjectMeta",
        "ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.",
        [
            ("annotations", StrMap.Doc("Annotations is an unstructured key value map stored with a resource.")),
            ("creationTimestamp", Time),
            ("deletionGracePeriodSeconds", I64),
            ("deletionTimestamp", Time),
            ("finalizers", MergeSet(Str)),
            ("generateName", Str.Doc(
                "GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided.")),
            ("generation", I64),
            ("labels", StrMap.Doc("Map of string keys and values that can be used to organize and categorize (scope and select) objects.")),
            ("managedFields", Atomic(ManagedFieldsEntry)),
            ("name", Str.Doc("Name must be unique within a namespace.")),
            ("namespace", Str.Doc("Namespace defines the space within which each name must be unique.")),
            ("ownerReferences", MergeMap(OwnerReference, "uid")),
            ("resourceVersion", Str),
            ("selfLink", Str),
            ("uid", Str),
        ]);

    public static readonly FieldSchema ListMeta = Meta("ListMeta",
        "ListMeta describes metadata that synthetic resources must have, including lists and various status objects.",
        [("continue", Str), ("remainingItemCount", I64), ("resourceVersion", Str), ("selfLink", Str)]);

    public static readonly FieldSchema LabelSelectorRequirement = Meta("LabelSelectorRequirement",
        "A label selector requirement is a selector that contains values, a key, and an operator that relates the key and values.",
        [("key", Str), ("operator", Str), ("values", StrList)], ["key", "operator"]);

    public static readonly FieldSchema LabelSelector = Meta("LabelSelector",
        "A label selector is a label query over a set of resources. An empty label selector matches all objects.",
        [("matchExpressions", Atomic(LabelSelectorRequirement)), ("matchLabels", StrMap)], mapType: "atomic");

    public static readonly FieldSchema Condition = Meta("Condition",
        "Condition contains details for one aspect of the current state of this API Resource.",
        [
            ("lastTransitionTime", Time), ("message", Str), ("observedGeneration", I64), ("reason", Str), ("status", Str),
            ("type", Str),
        ], ["type", "status", "lastTransitionTime", "reason", "message"]);

    public static readonly FieldSchema StatusCause = Meta("StatusCause",
        "StatusCause provides more information about an api.Status failure, including cases when multiple errors are encountered.",
        [("field", Str), ("message", Str), ("reason", Str)]);

    public static readonly FieldSchema StatusDetails = Meta("StatusDetails",
        "StatusDetails is a set of additional properties that MAY be set by the server to provide additional information about a response.",
        [("causes", Atomic(StatusCause)), ("group", Str), ("kind", Str), ("name", Str), ("retryAfterSeconds", I32), ("uid", Str)]);

    /// <summary>Status: the body of every failure (and of a few successes such as a deleted collection).</summary>
    public static readonly FieldSchema Status = Obj("io.k8s.apimachinery.pkg.apis.meta.v1.Status",
        "Status is a return value for calls that don't return other objects.",
        [
            ("apiVersion", Str), ("code", I32), ("details", StatusDetails), ("kind", Str), ("message", Str), ("metadata", ListMeta),
            ("reason", Str), ("status", Str),
        ]);

    /// <summary>PartialObjectMetadata (meta.k8s.io/v1 and v1beta1): an object's metadata alone (as=PartialObjectMetadata).</summary>
    public static readonly FieldSchema PartialObjectMetadata = Obj("io.k8s.apimachinery.pkg.apis.meta.v1.PartialObjectMetadata",
        "PartialObjectMetadata is a generic representation of any object with ObjectMeta.",
        [("apiVersion", Str), ("kind", Str), ("metadata", ObjectMeta)]);

    public static readonly FieldSchema Preconditions = Meta("Preconditions",
        "Preconditions must be fulfilled before an operation (update, delete, etc.) is carried out.",
        [("resourceVersion", Str), ("uid", Str)]);

    /// <summary>DeleteOptions: the body of a DELETE (client-go's typed clients send it as protobuf).</summary>
    public static readonly FieldSchema DeleteOptions = Obj("io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
        "DeleteOptions may be provided when deleting an API object.",
        [
            ("apiVersion", Str), ("dryRun", StrList), ("gracePeriodSeconds", I64), ("ignoreStoreReadErrorWithClusterBreakingPotential", Bool),
            ("kind", Str), ("orphanDependents", Bool), ("preconditions", Preconditions), ("propagationPolicy", Str),
        ]);

    /// <summary>autoscaling/v1 Scale: the scale subresource of deployments, replica sets and stateful sets.</summary>
    public static readonly FieldSchema Scale = Kind("io.k8s.api.autoscaling.v1.Scale",
        "Scale represents a scaling request for a resource.",
        [
            ("spec", Obj("io.k8s.api.autoscaling.v1.ScaleSpec", "ScaleSpec describes the attributes of a scale subresource.", [("replicas", I32)])),
            ("status", Obj("io.k8s.api.autoscaling.v1.ScaleStatus", "ScaleStatus represents the current status of a scale subresource.",
                [("replicas", I32), ("selector", Str)], ["replicas"])),
        ]);
}
