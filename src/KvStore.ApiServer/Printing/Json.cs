using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Printing;

/// <summary>
/// Reads of an object's fields the way Go's zero values read them: a missing or mistyped field is "", 0, false or an
/// empty list, so a printer never throws on a partial object (kube prints whatever a stored object has).
/// </summary>
internal static class Json
{
    public static JsonNode? At(JsonNode? node, params string[] path)
    {
        foreach (var p in path)
        {
            if (node is not JsonObject o || !o.TryGetPropertyValue(p, out node))
                return null;
        }
        return node;
    }

    public static string Str(JsonNode? node, params string[] path) =>
        At(node, path) is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : "";

    /// <summary>Whether the field is present (not null) at all: Go's pointer fields.</summary>
    public static bool Has(JsonNode? node, params string[] path) => At(node, path) is not null;

    public static long Int(JsonNode? node, params string[] path) => IntOrNull(node, path) ?? 0;

    public static long? IntOrNull(JsonNode? node, params string[] path)
    {
        if (At(node, path) is not JsonValue v)
            return null;
        return v.GetValueKind() switch
        {
            JsonValueKind.Number when v.TryGetValue<long>(out var l) => l,
            JsonValueKind.Number when v.TryGetValue<double>(out var d) => (long)d,
            JsonValueKind.String when long.TryParse(v.GetValue<string>(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) => s,
            _ => null,
        };
    }

    public static bool Bool(JsonNode? node, params string[] path) =>
        At(node, path) is JsonValue v && v.GetValueKind() == JsonValueKind.True;

    public static IEnumerable<JsonObject> Objects(JsonNode? node, params string[] path) =>
        At(node, path) is JsonArray a ? a.OfType<JsonObject>() : [];

    public static IEnumerable<string> Strings(JsonNode? node, params string[] path) =>
        At(node, path) is JsonArray a
            ? a.OfType<JsonValue>().Where(v => v.GetValueKind() == JsonValueKind.String).Select(v => v.GetValue<string>())
            : [];

    public static int Count(JsonNode? node, params string[] path) => At(node, path) switch
    {
        JsonArray a => a.Count,
        JsonObject o => o.Count,
        _ => 0,
    };

    /// <summary>A string map (labels, selectors, nodeSelector) as pairs; non-string values are skipped.</summary>
    public static IEnumerable<KeyValuePair<string, string>> StringMap(JsonNode? node, params string[] path) =>
        At(node, path) is JsonObject o
            ? o.Where(p => p.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                .Select(p => KeyValuePair.Create(p.Key, p.Value!.GetValue<string>()))
            : [];

    /// <summary>A metav1.Time / MicroTime field; null when missing or unparsable (Go's zero time).</summary>
    public static DateTimeOffset? Time(JsonNode? node, params string[] path)
    {
        var s = Str(node, path);
        return s.Length > 0 && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t
            : null;
    }
}
