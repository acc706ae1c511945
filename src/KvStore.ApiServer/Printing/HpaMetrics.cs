using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Printing;

/// <summary>
/// formatHPAMetrics over autoscaling/v2 metric specs and statuses (matched by index as kube does): "cpu: 40%/80%",
/// "memory: 100Mi/200Mi", "&lt;unknown&gt;/500m (avg)" for object/external averages, at most two then " + N more...",
/// "&lt;none&gt;" without metrics.
/// </summary>
internal static class HpaMetrics
{
    public static string Format(List<JsonObject> specs, List<JsonObject> statuses)
    {
        if (specs.Count == 0)
            return "<none>";
        const int max = 2;
        var list = new List<string>();
        for (var i = 0; i < specs.Count; i++)
        {
            var spec = specs[i];
            var status = i < statuses.Count ? statuses[i] : null;
            list.Add(Json.Str(spec, "type") switch
            {
                "External" => ValueOrAverage(spec, status, "external"),
                "Object" => ValueOrAverage(spec, status, "object"),
                "Pods" => Current(status, "pods", "averageValue", fieldRequired: false) + "/"
                    + Quantity.Canonical(Json.At(spec, "pods", "target", "averageValue")),
                "Resource" => ResourceMetric(spec, status, "resource"),
                "ContainerResource" => ResourceMetric(spec, status, "containerResource"),
                _ => "<unknown type>",
            });
        }
        var more = list.Count > max;
        var ret = string.Join(", ", list.Take(max));
        return more ? $"{ret} + {list.Count - max} more..." : ret;
    }

    /// <summary>The status's current quantity; "&lt;unknown&gt;" without a status for the metric (or, where kube checks
    /// the pointer, without the field); an unset non-pointer quantity prints as kube's zero Quantity, "0".</summary>
    private static string Current(JsonObject? status, string source, string field, bool fieldRequired = true) =>
        Json.At(status, source) is JsonObject s && (!fieldRequired || Json.Has(s, "current", field))
            ? Quantity.Canonical(Json.At(s, "current", field))
            : "<unknown>";

    private static string ValueOrAverage(JsonObject spec, JsonObject? status, string source)
    {
        var target = Json.At(spec, source, "target");
        if (Json.At(target, "averageValue") is { } average)
            return $"{Current(status, source, "averageValue")}/{Quantity.Canonical(average)} (avg)";
        // kube reads current.value even when it is unset (a zero Quantity prints "0").
        var current = Json.At(status, source) is JsonObject ? Quantity.Canonical(Json.At(status, source, "current", "value")) : "<unknown>";
        return $"{current}/{Quantity.Canonical(Json.At(target, "value"))}";
    }

    private static string ResourceMetric(JsonObject spec, JsonObject? status, string source)
    {
        var name = Json.Str(spec, source, "name");
        var target = Json.At(spec, source, "target");
        if (Json.At(target, "averageValue") is { } average)
        {
            var currentValue = Json.At(status, source) is JsonObject
                ? Quantity.Canonical(Json.At(status, source, "current", "averageValue"))
                : "<unknown>";
            return $"{name}: {currentValue}/{Quantity.Canonical(average)}";
        }
        var current = Json.IntOrNull(status, source, "current", "averageUtilization") is { } u && Json.At(status, source) is JsonObject
            ? $"{u}%"
            : "<unknown>";
        var targetText = Json.IntOrNull(target, "averageUtilization") is { } t ? $"{t}%" : "<auto>";
        return $"{name}: {current}/{targetText}";
    }
}
