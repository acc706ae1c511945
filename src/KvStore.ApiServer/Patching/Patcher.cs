using System.Text.Json.Nodes;
using KvStore.ApiServer.Schema;

namespace KvStore.ApiServer.Patching;

/// <summary>
/// The PATCH content types kube-apiserver accepts, applied to an object's JSON. Pure functions: the caller reads
/// the stored object, applies, validates and writes it back with a compare-and-swap on its resourceVersion.
/// </summary>
public static class Patcher
{
    public const string JsonPatch = "application/json-patch+json";
    public const string MergePatch = "application/merge-patch+json";
    public const string StrategicMergePatch = "application/strategic-merge-patch+json";
    public const string ApplyPatchYaml = "application/apply-patch+yaml";
    public const string ApplyPatchCbor = "application/apply-patch+cbor";

    /// <summary>RFC 6902 JSON patch (add/remove/replace/move/copy/test).</summary>
    public static JsonNode ApplyJsonPatch(JsonNode original, JsonArray patch) =>
        throw new NotImplementedException("patch helper");

    /// <summary>RFC 7386 JSON merge patch (null deletes, objects merge, arrays replace).</summary>
    public static JsonNode ApplyMergePatch(JsonNode original, JsonNode patch) =>
        throw new NotImplementedException("patch helper");

    /// <summary>
    /// Kubernetes strategic merge patch: lists with a patchMergeKey merge by it, "$patch" (replace/delete/merge),
    /// "$setElementOrder/&lt;field&gt;", "$retainKeys", "$deleteFromPrimitiveList/&lt;field&gt;"; schema null = merge patch rules.
    /// </summary>
    public static JsonNode ApplyStrategicMerge(JsonNode original, JsonNode patch, FieldSchema? schema) =>
        throw new NotImplementedException("patch helper");

    /// <summary>
    /// Server-side apply (apply-patch+yaml): <paramref name="applied"/> is the manager's full intent. Creates when
    /// <paramref name="existing"/> is null; otherwise merges the intent over the live object, removes fields this
    /// manager applied before and no longer applies, and records managedFields for <paramref name="fieldManager"/>.
    /// Throws <see cref="ApplyConflictException"/> when another manager owns a field with a different value and
    /// <paramref name="force"/> is false.
    /// </summary>
    public static JsonObject ApplyServerSide(JsonObject? existing, JsonObject applied, string fieldManager, bool force, FieldSchema? schema) =>
        throw new NotImplementedException("patch helper");
}

/// <summary>Server-side apply conflicts: 409 Conflict with one cause per field ("conflict with \"kubectl-client-side-apply\"...").</summary>
public sealed class ApplyConflictException(string message, IReadOnlyList<(string Field, string Message)> conflicts) : Exception(message)
{
    public IReadOnlyList<(string Field, string Message)> Conflicts { get; } = conflicts;
}
