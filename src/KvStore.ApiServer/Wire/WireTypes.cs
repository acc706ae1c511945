using System.Text.Json.Nodes;
using KvStore.ApiServer.Schema;
using KvStore.ApiServer.Schema.Types;

namespace KvStore.ApiServer.Wire;

/// <summary>How a schema node travels in protobuf (k8s.io/api's generated.proto types of the same field).</summary>
internal enum WireType
{
    String,
    Bytes,
    Varint,
    Bool,
    Double,
    /// <summary>metav1.Time / MicroTime: a Timestamp message (JSON: RFC 3339 text).</summary>
    Time,
    /// <summary>intstr.IntOrString: {type, intVal, strVal}.</summary>
    IntOrString,
    /// <summary>resource.Quantity: {string = 1}.</summary>
    Quantity,
    /// <summary>FieldsV1, RawExtension and apiextensions' JSON: {raw = 1} holding JSON.</summary>
    RawJson,
    Message,
    /// <summary>A Go type whose JSON is one of several shapes (JSONSchemaPropsOrBool): the value in the field named after its
    /// JSON type (<see cref="FieldSchema.OneOf"/>).</summary>
    OneOf,
    /// <summary>No protobuf form known (an open x-kubernetes-preserve-unknown-fields node): not on the wire.</summary>
    None,
}

internal static class WireTypes
{
    /// <summary>A JSON number as a long, whatever CLR type the node was built from (int, long or double).</summary>
    public static long Int64(JsonNode value)
    {
        var v = value.AsValue();
        if (v.TryGetValue<long>(out var l)) return l;
        if (v.TryGetValue<int>(out var i)) return i;
        return (long)double.Parse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A JSON number as a double, whatever CLR type the node was built from.</summary>
    public static double Double(JsonNode value) =>
        double.Parse(value.AsValue().ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<FieldSchema, FieldSchema> Shapes = new();

    /// <summary>A <see cref="WireType.OneOf"/> node as the message it travels as: a struct whose fields are named by JSON type
    /// ("boolean", "object", "array"), each holding the shape of that type. Built once per node.</summary>
    public static FieldSchema ShapesOf(FieldSchema oneOf) => Shapes.GetValue(oneOf, s => new FieldSchema
    {
        Type = FieldType.Object,
        Properties = s.OneOf.ToDictionary(shape => JsonType(shape)!, StringComparer.Ordinal),
        Proto = s.Proto,
    });

    /// <summary>The JSON type a shape (or a value) has: "boolean", "object", "array"; null for others.</summary>
    public static string? JsonType(FieldSchema shape) => shape.Type switch
    {
        FieldType.Boolean => "boolean",
        FieldType.Object => "object",
        FieldType.Array => "array",
        _ => null,
    };

    /// <inheritdoc cref="JsonType(FieldSchema)"/>
    public static string? JsonType(JsonNode? value) => value?.GetValueKind() switch
    {
        System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => "boolean",
        System.Text.Json.JsonValueKind.Object => "object",
        System.Text.Json.JsonValueKind.Array => "array",
        _ => null,
    };

    public static WireType Of(FieldSchema schema) => schema.Definition switch
    {
        "io.k8s.apimachinery.pkg.apis.meta.v1.Time" or "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime" => WireType.Time,
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString" => WireType.IntOrString,
        "io.k8s.apimachinery.pkg.api.resource.Quantity" => WireType.Quantity,
        "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1" or "io.k8s.apimachinery.pkg.runtime.RawExtension"
            or "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON" => WireType.RawJson,
        _ => schema.Type switch
        {
            FieldType.String when schema.Format == "byte" => WireType.Bytes,
            FieldType.String => WireType.String,
            FieldType.Integer => WireType.Varint,
            FieldType.Boolean => WireType.Bool,
            FieldType.Number => WireType.Double,
            FieldType.Object when schema.Proto.Count > 0 || ProtoNumbers.Known(schema.Definition) => WireType.Message,
            FieldType.Any when schema.OneOf.Count > 0 => WireType.OneOf,
            _ => WireType.None,
        },
    };
}
