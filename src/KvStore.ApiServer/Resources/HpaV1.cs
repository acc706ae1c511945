using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Resources;

/// <summary>
/// autoscaling/v1 HorizontalPodAutoscaler to and from its stored autoscaling/v2 form (kube's autoscaling/v1 conversion):
/// targetCPUUtilizationPercentage is the v2 Resource metric "cpu" with a Utilization target, and
/// currentCPUUtilizationPercentage its current averageUtilization. The metrics, behavior and conditions v1 cannot express
/// are not shown at v1 and are kept from the stored object across v1 writes (kube carries them in alpha annotations).
/// </summary>
internal static class HpaV1
{
    public const string StorageApiVersion = "autoscaling/v2";

    /// <summary>The stored (v2) object rewritten in place to v1.</summary>
    public static void FromV2(JsonObject hpa)
    {
        if (hpa["spec"] is JsonObject spec)
        {
            var target = CpuUtilization(spec["metrics"])?["resource"]?["target"]?["averageUtilization"]?.DeepClone();
            spec.Remove("metrics");
            spec.Remove("behavior");
            if (target is not null) spec["targetCPUUtilizationPercentage"] = target;
        }
        if (hpa["status"] is JsonObject status)
        {
            var current = CpuUtilization(status["currentMetrics"])?["resource"]?["current"]?["averageUtilization"]?.DeepClone();
            status.Remove("currentMetrics");
            status.Remove("conditions");
            if (current is not null) status["currentCPUUtilizationPercentage"] = current;
        }
    }

    /// <summary>The v1 object in its stored form (a copy), with what v1 cannot express kept from <paramref name="stored"/>.</summary>
    public static JsonObject ToV2(JsonObject hpa, JsonObject? stored)
    {
        var result = (JsonObject)hpa.DeepClone();
        result["apiVersion"] = StorageApiVersion;
        if (result["spec"] is JsonObject spec)
        {
            var target = spec["targetCPUUtilizationPercentage"]?.DeepClone();
            spec.Remove("targetCPUUtilizationPercentage");
            var metrics = new JsonArray();
            if (target is not null) metrics.Add(CpuMetric("target", new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = target }));
            foreach (var kept in OtherMetrics(stored?["spec"]?["metrics"])) metrics.Add(kept);
            if (metrics.Count > 0) spec["metrics"] = metrics;
            if (stored?["spec"]?["behavior"] is { } behavior) spec["behavior"] = behavior.DeepClone();
        }
        if (result["status"] is JsonObject status)
        {
            var current = status["currentCPUUtilizationPercentage"]?.DeepClone();
            status.Remove("currentCPUUtilizationPercentage");
            var metrics = new JsonArray();
            if (current is not null) metrics.Add(CpuMetric("current", new JsonObject { ["averageUtilization"] = current }));
            foreach (var kept in OtherMetrics(stored?["status"]?["currentMetrics"])) metrics.Add(kept);
            if (metrics.Count > 0) status["currentMetrics"] = metrics;
            if (stored?["status"]?["conditions"] is { } conditions) status["conditions"] = conditions.DeepClone();
        }
        return result;
    }

    private static JsonObject CpuMetric(string field, JsonObject value) => new()
    {
        ["type"] = "Resource",
        ["resource"] = new JsonObject { ["name"] = "cpu", [field] = value },
    };

    private static bool IsCpu(JsonNode? metric) =>
        metric?["type"]?.ToString() == "Resource" && metric["resource"]?["name"]?.ToString() == "cpu";

    /// <summary>The first cpu Resource metric (a spec's with a Utilization target, or a status's), as kube's conversion picks it.</summary>
    private static JsonNode? CpuUtilization(JsonNode? metrics) =>
        (metrics as JsonArray)?.FirstOrDefault(m => IsCpu(m) && m!["resource"]?["target"]?["type"]?.ToString() is null or "Utilization");

    /// <summary>The metrics but the one v1 shows.</summary>
    private static IEnumerable<JsonNode> OtherMetrics(JsonNode? metrics)
    {
        var shown = CpuUtilization(metrics);
        return (metrics as JsonArray)?.Where(m => m is not null && !ReferenceEquals(m, shown)).Select(m => m!.DeepClone()) ?? [];
    }
}
