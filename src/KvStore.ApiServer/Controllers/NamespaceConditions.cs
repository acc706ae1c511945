using System.Text.Json.Nodes;
using KvStore.ApiServer.Http;

namespace KvStore.ApiServer.Controllers;

/// <summary>
/// The status conditions the namespace controller keeps on a terminating namespace (kube's namespaceConditionUpdater):
/// five types, each True with what went wrong or remains, else False with its "ok" reason and message. A condition's
/// lastTransitionTime changes only when its status does.
/// </summary>
internal static class NamespaceConditions
{
    private sealed record Condition(string Type, string Status, string Reason, string Message);

    private static readonly (string Type, string Reason, string Message)[] Ok =
    [
        ("NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered", "All resources successfully discovered"),
        ("NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions", "All legacy kube types successfully parsed"),
        ("NamespaceDeletionContentFailure", "ContentDeleted", "All content successfully deleted, may be waiting on finalization"),
        ("NamespaceContentRemaining", "ContentRemoved", "All content successfully removed"),
        ("NamespaceFinalizersRemaining", "ContentHasNoFinalizers", "All content-preserving finalizers finished"),
    ];

    /// <summary>The conditions for what remains (sorted "configmaps. has 1 resource instances" lines), the finalizers
    /// holding it ("example.com/x in 1 resource instances") and the deletion failures.</summary>
    public static IReadOnlyList<JsonObject> Of(IEnumerable<string> remaining, IEnumerable<string> finalizers, IReadOnlyList<string> failures)
    {
        var found = new List<Condition>();
        var resources = remaining.Order(StringComparer.Ordinal).ToList();
        if (resources.Count > 0)
        {
            found.Add(new("NamespaceContentRemaining", "True", "SomeResourcesRemain", "Some resources are remaining: " + string.Join(", ", resources)));
        }
        var holding = finalizers.Order(StringComparer.Ordinal).ToList();
        if (holding.Count > 0)
        {
            found.Add(new("NamespaceFinalizersRemaining", "True", "SomeFinalizersRemain",
                "Some content in the namespace has finalizers remaining: " + string.Join(", ", holding)));
        }
        if (failures.Count > 0)
        {
            found.Add(new("NamespaceDeletionContentFailure", "True", "ContentDeletionFailed",
                $"Failed to delete all resource types, {failures.Count} remaining: {string.Join(", ", failures.Order(StringComparer.Ordinal))}"));
        }
        return Ok.Select(ok => found.FirstOrDefault(c => c.Type == ok.Type) ?? new Condition(ok.Type, "False", ok.Reason, ok.Message))
            .Select(c => new JsonObject { ["type"] = c.Type, ["status"] = c.Status, ["reason"] = c.Reason, ["message"] = c.Message })
            .ToList();
    }

    /// <summary>kube's updateConditions on <paramref name="ns"/>; null when nothing changed.</summary>
    public static JsonObject? Apply(JsonObject ns, IReadOnlyList<JsonObject> conditions, DateTimeOffset now)
    {
        if (ns["status"] is not JsonObject status) ns["status"] = status = [];
        if (status["conditions"] is not JsonArray existing) status["conditions"] = existing = [];
        var changed = false;
        foreach (var wanted in conditions)
        {
            var type = ObjectDefaults.Str(wanted["type"]);
            var old = existing.OfType<JsonObject>().FirstOrDefault(c => ObjectDefaults.Str(c["type"]) == type);
            if (old is null)
            {
                existing.Add(new JsonObject
                {
                    ["type"] = type, ["status"] = wanted["status"]!.DeepClone(), ["lastTransitionTime"] = ObjectDefaults.Now(now),
                    ["reason"] = wanted["reason"]!.DeepClone(), ["message"] = wanted["message"]!.DeepClone(),
                });
                changed = true;
                continue;
            }
            if (Same(old, wanted, "status") && Same(old, wanted, "reason") && Same(old, wanted, "message")) continue;
            if (!Same(old, wanted, "status")) old["lastTransitionTime"] = ObjectDefaults.Now(now);
            old["status"] = wanted["status"]!.DeepClone();
            old["reason"] = wanted["reason"]!.DeepClone();
            old["message"] = wanted["message"]!.DeepClone();
            changed = true;
        }
        return changed ? ns : null;
    }

    private static bool Same(JsonObject a, JsonObject b, string field) => ObjectDefaults.Str(a[field]) == ObjectDefaults.Str(b[field]);
}
