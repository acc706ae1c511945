using System.Text.Json.Nodes;
using KvStore.ApiServer.Schema;

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
    /// <summary>FieldsV1 and RawExtension: {raw = 1} holding JSON.</summary>
    RawJson,
    Message,
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

    public static WireType Of(FieldSchema schema) => schema.Definition switch
    {
        "io.k8s.apimachinery.pkg.apis.meta.v1.Time" or "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime" => WireType.Time,
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString" => WireType.IntOrString,
        "io.k8s.apimachinery.pkg.api.resource.Quantity" => WireType.Quantity,
        "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1" or "io.k8s.apimachinery.pkg.runtime.RawExtension" => WireType.RawJson,
        _ => schema.Type switch
        {
            FieldType.String when schema.Format == "byte" => WireType.Bytes,
            FieldType.String => WireType.String,
            FieldType.Integer => WireType.Varint,
            FieldType.Boolean => WireType.Bool,
            FieldType.Number => WireType.Double,
            FieldType.Object when schema.Proto.Count > 0 => WireType.Message,
            _ => WireType.None,
        },
    };
}
