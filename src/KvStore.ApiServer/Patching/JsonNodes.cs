using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Patching;

/// <summary>JSON value helpers the patch kinds share: equality as JSON means it (1 == 1.0), and cloning.</summary>
internal static class JsonNodes
{
    /// <summary>Deep equality of two JSON values; numbers compare by value, object key order is ignored.</summary>
    public static bool Equal(JsonNode? a, JsonNode? b)
    {
        if (a is null || b is null)
            return a is null && b is null;
        switch (a)
        {
            case JsonObject oa:
                if (b is not JsonObject ob || oa.Count != ob.Count)
                    return false;
                foreach (var (key, value) in oa)
                {
                    if (!ob.TryGetPropertyValue(key, out var other) || !Equal(value, other))
                        return false;
                }
                return true;
            case JsonArray aa:
                if (b is not JsonArray ab || aa.Count != ab.Count)
                    return false;
                for (var i = 0; i < aa.Count; i++)
                {
                    if (!Equal(aa[i], ab[i]))
                        return false;
                }
                return true;
            default:
                if (b is JsonObject or JsonArray)
                    return false;
                var ka = a.GetValueKind();
                var kb = b.GetValueKind();
                if (ka != kb)
                    return false;
                return ka switch
                {
                    JsonValueKind.String => a.GetValue<string>() == b.GetValue<string>(),
                    JsonValueKind.Number => NumberEqual(a.ToJsonString(), b.ToJsonString()),
                    _ => true, // true/true, false/false, null/null
                };
        }
    }

    private static bool NumberEqual(string a, string b)
    {
        if (a == b)
            return true;
        if (decimal.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out var da) &&
            decimal.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out var db))
            return da == db;
        return double.Parse(a, CultureInfo.InvariantCulture) == double.Parse(b, CultureInfo.InvariantCulture);
    }

    public static JsonNode? Clone(JsonNode? node) => node?.DeepClone();

    /// <summary>"object", "array", "string"... as Go's error messages name a JSON value's kind.</summary>
    public static string KindName(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "map",
        JsonArray => "slice",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "float64",
            JsonValueKind.True or JsonValueKind.False => "bool",
            _ => "null",
        },
    };

    /// <summary>A short rendering for error messages.</summary>
    public static string Show(JsonNode? node) => node?.ToJsonString() ?? "null";
}
