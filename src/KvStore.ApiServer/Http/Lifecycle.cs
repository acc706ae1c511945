using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Http;

/// <summary>The metadata rules of an object's deletion (kube's generic registry and rest packages): finalizers,
/// deletionTimestamp, and when an update ends a deletion by removing the last finalizer.</summary>
internal static class Lifecycle
{
    public static List<string> Finalizers(JsonObject obj) =>
        (obj["metadata"]?["finalizers"] as JsonArray ?? []).Select(ObjectDefaults.Str).OfType<string>().ToList();

    public static void SetFinalizers(JsonObject obj, IReadOnlyList<string> finalizers)
    {
        var meta = ObjectDefaults.Metadata(obj);
        if (finalizers.Count == 0) meta.Remove("finalizers");
        else meta["finalizers"] = new JsonArray(finalizers.Select(f => (JsonNode)JsonValue.Create(f)).ToArray());
    }

    public static bool IsDeleting(JsonObject obj) => obj["metadata"]?["deletionTimestamp"] is not null;

    /// <summary>kube's markAsDeleting: generation bumped on the first mark, deletionTimestamp now (unless already earlier),
    /// deletionGracePeriodSeconds 0.</summary>
    public static void MarkAsDeleting(JsonObject obj, DateTimeOffset now)
    {
        var meta = ObjectDefaults.Metadata(obj);
        if (meta["deletionTimestamp"] is null && meta["generation"] is JsonValue g && g.TryGetValue<long>(out var generation) && generation > 0)
        {
            meta["generation"] = generation + 1;
        }
        meta["deletionTimestamp"] ??= ObjectDefaults.Now(now);
        meta["deletionGracePeriodSeconds"] = 0;
    }

    /// <summary>kube's ShouldDeleteDuringUpdate (and the namespace's, which also waits for spec.finalizers): an update that
    /// leaves no finalizer on an object being deleted (grace period 0 or unset) deletes it instead
    /// (LifecycleKubectlTests.FinalizersHoldADeleteUntilRemovedAndWaitForDeleteSeesTheObjectGo).</summary>
    public static bool ShouldDeleteDuringUpdate(bool isNamespace, JsonObject updated, JsonObject existing)
    {
        if (Finalizers(updated).Count > 0 || !IsDeleting(existing)) return false;
        if (isNamespace && updated["spec"]?["finalizers"] is JsonArray { Count: > 0 }) return false;
        return existing["metadata"]?["deletionGracePeriodSeconds"] is not JsonValue grace || !grace.TryGetValue<long>(out var seconds)
            || seconds == 0;
    }
}
