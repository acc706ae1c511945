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
    /// <summary>One condition as the controller wants it.</summary>
    public sealed record Condition(string Type, string Status, string Reason, string Message);

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
    public static IReadOnlyList<Condition> Of(IEnumerable<string> remaining, IEnumerable<string> finalizers, IReadOnlyList<string> failures)
    {
        var found = new List<Condition>();
        var resources = remaining.Order(StringComparer.Ordinal).ToList();
        if (resources.Count > 0)
        {
            found.Add(new("NamespaceContentRemaining", "True", "SomeResourcesRemain", "Some resources are remaining: "
                + string.Join(", ", resources)));
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
        return Ok.Select(ok => found.FirstOrDefault(c => c.Type == ok.Type) ?? new Condition(ok.Type, "False", ok.Reason, ok.Message)).ToList();
    }

    /// <summary>kube's updateConditions on <paramref name="ns"/>; null when nothing changed.</summary>
    public static JsonObject? Apply(JsonObject ns, IReadOnlyList<Condition> conditions, DateTimeOffset now)
    {
        var changed = false;
        foreach (var c in conditions) changed |= StatusConditions.Set(ns, c.Type, c.Status, c.Reason, c.Message, now);
        return changed ? ns : null;
    }
}
