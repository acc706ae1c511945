namespace KvStore.ApiServer.Schema;

/// <summary>The JSON shape of a field (OpenAPI's type/format, with Kubernetes' int-or-string and quantity).</summary>
public enum FieldType
{
    /// <summary>Anything (x-kubernetes-preserve-unknown-fields): no unknown-field check below it.</summary>
    Any,
    Object,
    /// <summary>An object with free keys whose values follow <see cref="FieldSchema.AdditionalProperties"/> (labels, data).</summary>
    Map,
    Array,
    String,
    Integer,
    Number,
    Boolean,
    /// <summary>Kubernetes' IntOrString (ports, maxSurge) and Quantity ("100m", 1).</summary>
    IntOrString,
}

/// <summary>
/// One node of a type's schema: enough for strict field validation (unknown fields), strategic merge patch
/// (list merge keys and strategies, as the Go struct tags patchMergeKey/patchStrategy say) and the OpenAPI v3
/// documents kubectl downloads. Built by <c>SchemaRegistry</c>; shared by Patching and Http.
/// </summary>
public sealed class FieldSchema
{
    public required FieldType Type { get; init; }

    /// <summary>Object fields by JSON name (Type == Object).</summary>
    public IReadOnlyDictionary<string, FieldSchema> Properties { get; init; } = new Dictionary<string, FieldSchema>();

    /// <summary>Element schema (Type == Array).</summary>
    public FieldSchema? Items { get; init; }

    /// <summary>Value schema (Type == Map).</summary>
    public FieldSchema? AdditionalProperties { get; init; }

    /// <summary>Strategic merge patch: the key that identifies list elements ("name", "containerPort"...), or null.</summary>
    public string? PatchMergeKey { get; init; }

    /// <summary>Strategic merge patch strategy: "merge", "retainKeys", "merge,retainKeys", "replace" or null (replace).</summary>
    public string? PatchStrategy { get; init; }

    /// <summary>Server-side apply list type: "atomic", "set" or "map" (x-kubernetes-list-type), or null.</summary>
    public string? ListType { get; init; }

    /// <summary>Server-side apply map keys of a "map" list (x-kubernetes-list-map-keys).</summary>
    public IReadOnlyList<string> ListMapKeys { get; init; } = [];

    /// <summary>Required field names (Type == Object).</summary>
    public IReadOnlyList<string> Required { get; init; } = [];

    /// <summary>Name of the shared definition this node comes from ("io.k8s.api.core.v1.Container"), or null.</summary>
    public string? Definition { get; init; }

    public string? Description { get; init; }

    /// <summary>OpenAPI format of a scalar ("int32", "int64", "date-time", "byte", "double"), or null.</summary>
    public string? Format { get; init; }

    /// <summary>x-kubernetes-map-type ("atomic" for selectors and references replaced as a whole by apply), or null.</summary>
    public string? MapType { get; init; }

    /// <summary>Protobuf layout of a struct (Type == Object): its fields by number, from k8s.io/api's generated.proto;
    /// empty for kinds without a protobuf form (custom resources).</summary>
    public IReadOnlyList<ProtoField> Proto { get; init; } = [];

    /// <summary>The JSON shapes of a Go type whose JSON is one of several (Type == Any; JSONSchemaPropsOrBool: a boolean or
    /// a JSONSchemaProps), one per JSON type; on the wire each travels in the field <see cref="Proto"/> names after that
    /// type. Empty for other nodes.</summary>
    public IReadOnlyList<FieldSchema> OneOf { get; init; } = [];

    /// <summary>The allowed values of a string field (OpenAPI enum), empty when free.</summary>
    public IReadOnlyList<string> Enum { get; init; } = [];
}
