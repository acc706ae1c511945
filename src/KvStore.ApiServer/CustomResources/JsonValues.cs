using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KvStore.ApiServer.CustomResources;

/// <summary>Reading custom resource values whatever backs a JsonValue (parsed JSON, or numbers built in code), as Go's
/// unstructured decoding sees them: numbers without a fraction are integers.</summary>
internal static class JsonValues
{
    /// <summary>The value as a double when it is a JSON number.</summary>
    public static bool TryNumber(JsonNode? node, out double value)
    {
        value = 0;
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number &&
            double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The value as a long when it is a JSON number with an integral value.</summary>
    public static bool TryInteger(JsonNode? node, out long value)
    {
        value = 0;
        if (!TryNumber(node, out var d) || Math.Floor(d) != d || Math.Abs(d) > 9.2e18)
            return false;
        value = long.TryParse(node!.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exact) ? exact : (long)d;
        return true;
    }

    public static string? String(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>The JSON type name go-openapi reports for a value: object, array, string, boolean, integer, number, null.</summary>
    public static string TypeName(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => node.ToJsonString().AsSpan().IndexOfAny(".eE") >= 0 ? "number" : "integer",
    };

    /// <summary>A number as Go's %v prints it in kube's messages ("10", "1.5").</summary>
    public static string Show(double d) =>
        Math.Floor(d) == d && Math.Abs(d) < 1e21 ? ((long)d).ToString(CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The value as a field error renders it: strings quoted, numbers and booleans bare, objects and arrays as
    /// Go's %#v of unstructured content.</summary>
    public static object? ForError(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => null,
        JsonValueKind.String => node.GetValue<string>(),
        JsonValueKind.Object or JsonValueKind.Array => new Schema.FieldErrors.Raw(GoValue(node)),
        _ => new Schema.FieldErrors.Raw(node.ToJsonString()),
    };

    /// <summary>Go's %#v of a decoded JSON value (map[string]interface {}{"a":1}, []interface {}{"x"}).</summary>
    public static string GoValue(JsonNode? node) => node switch
    {
        JsonObject o => "map[string]interface {}{" + string.Join(", ",
            o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{Schema.FieldErrors.Quote(p.Key)}:{GoValue(p.Value)}")) + "}",
        JsonArray a => "[]interface {}{" + string.Join(", ", a.Select(GoValue)) + "}",
        null => "interface {}(nil)",
        _ when node.GetValueKind() == JsonValueKind.String => Schema.FieldErrors.Quote(node.GetValue<string>()),
        _ => node.ToJsonString(),
    };
}
