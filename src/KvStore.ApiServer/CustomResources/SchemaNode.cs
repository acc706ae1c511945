using System.Text.Json;
using System.Text.Json.Nodes;

namespace KvStore.ApiServer.CustomResources;

/// <summary>
/// One node of a CRD version's openAPIV3Schema (apiextensions JSONSchemaProps), read once from the CRD's JSON: the
/// structure (type, properties, items, additionalProperties), the value validations kube-openapi checks, the defaults,
/// and the x-kubernetes extensions. <see cref="Raw"/> is the node as the CRD wrote it (served in OpenAPI).
/// </summary>
internal sealed class SchemaNode
{
    public required JsonObject Raw { get; init; }
    public string? Type { get; init; }
    public string? Format { get; init; }
    public string? Description { get; init; }

    /// <summary>Declared fields in the CRD's order.</summary>
    public IReadOnlyList<(string Name, SchemaNode Schema)> Properties { get; init; } = [];
    public SchemaNode? Items { get; init; }

    /// <summary>additionalProperties given as a schema (a map's values).</summary>
    public SchemaNode? AdditionalProperties { get; init; }

    /// <summary>additionalProperties: true (any value, kept as is).</summary>
    public bool AdditionalPropertiesAllowed { get; init; }

    public IReadOnlyList<string> Required { get; init; } = [];
    public JsonArray? Enum { get; init; }
    public JsonNode? Default { get; init; }
    public bool Nullable { get; init; }
    public double? Maximum { get; init; }
    public bool ExclusiveMaximum { get; init; }
    public double? Minimum { get; init; }
    public bool ExclusiveMinimum { get; init; }
    public double? MultipleOf { get; init; }
    public long? MaxLength { get; init; }
    public long? MinLength { get; init; }
    public string? Pattern { get; init; }
    public long? MaxItems { get; init; }
    public long? MinItems { get; init; }
    public bool UniqueItems { get; init; }
    public long? MaxProperties { get; init; }
    public long? MinProperties { get; init; }
    public IReadOnlyList<SchemaNode> AllOf { get; init; } = [];
    public IReadOnlyList<SchemaNode> AnyOf { get; init; } = [];
    public IReadOnlyList<SchemaNode> OneOf { get; init; } = [];
    public SchemaNode? Not { get; init; }
    public bool PreserveUnknownFields { get; init; }
    public bool EmbeddedResource { get; init; }
    public bool IntOrString { get; init; }
    public string? ListType { get; init; }
    public IReadOnlyList<string> ListMapKeys { get; init; } = [];
    public string? MapType { get; init; }

    public SchemaNode? Property(string name)
    {
        foreach (var (n, s) in Properties)
            if (n == name)
                return s;
        return null;
    }

    /// <summary>The node of <paramref name="raw"/>; values of the wrong JSON type read as absent (the CRD's own schema
    /// validation reports them).</summary>
    public static SchemaNode Parse(JsonObject raw) => new()
    {
        Raw = raw,
        Type = Str(raw, "type"),
        Format = Str(raw, "format"),
        Description = Str(raw, "description"),
        Properties = raw["properties"] is JsonObject props
            ? props.Where(p => p.Value is JsonObject).Select(p => (p.Key, Parse((JsonObject)p.Value!))).ToList()
            : [],
        Items = raw["items"] is JsonObject items ? Parse(items) : null,
        AdditionalProperties = raw["additionalProperties"] is JsonObject additional ? Parse(additional) : null,
        AdditionalPropertiesAllowed = raw["additionalProperties"]?.GetValueKind() == JsonValueKind.True,
        Required = Strings(raw, "required"),
        Enum = raw["enum"] as JsonArray,
        Default = raw["default"],
        Nullable = Bool(raw, "nullable"),
        Maximum = Number(raw, "maximum"),
        ExclusiveMaximum = Bool(raw, "exclusiveMaximum"),
        Minimum = Number(raw, "minimum"),
        ExclusiveMinimum = Bool(raw, "exclusiveMinimum"),
        MultipleOf = Number(raw, "multipleOf"),
        MaxLength = Integer(raw, "maxLength"),
        MinLength = Integer(raw, "minLength"),
        Pattern = Str(raw, "pattern"),
        MaxItems = Integer(raw, "maxItems"),
        MinItems = Integer(raw, "minItems"),
        UniqueItems = Bool(raw, "uniqueItems"),
        MaxProperties = Integer(raw, "maxProperties"),
        MinProperties = Integer(raw, "minProperties"),
        AllOf = Schemas(raw, "allOf"),
        AnyOf = Schemas(raw, "anyOf"),
        OneOf = Schemas(raw, "oneOf"),
        Not = raw["not"] is JsonObject not ? Parse(not) : null,
        PreserveUnknownFields = Bool(raw, "x-kubernetes-preserve-unknown-fields"),
        EmbeddedResource = Bool(raw, "x-kubernetes-embedded-resource"),
        IntOrString = Bool(raw, "x-kubernetes-int-or-string"),
        ListType = Str(raw, "x-kubernetes-list-type"),
        ListMapKeys = Strings(raw, "x-kubernetes-list-map-keys"),
        MapType = Str(raw, "x-kubernetes-map-type"),
    };

    private static string? Str(JsonObject o, string name) =>
        o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static bool Bool(JsonObject o, string name) => o[name]?.GetValueKind() == JsonValueKind.True;

    private static double? Number(JsonObject o, string name) =>
        o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) ? d : null;

    private static long? Integer(JsonObject o, string name) =>
        o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var l) ? l : null;

    private static IReadOnlyList<string> Strings(JsonObject o, string name) =>
        o[name] is JsonArray a ? a.OfType<JsonValue>().Where(v => v.GetValueKind() == JsonValueKind.String).Select(v => v.GetValue<string>()).ToList()
            : [];

    private static IReadOnlyList<SchemaNode> Schemas(JsonObject o, string name) =>
        o[name] is JsonArray a ? a.OfType<JsonObject>().Select(Parse).ToList() : [];
}
