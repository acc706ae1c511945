using System.Text.Json;
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
        Patching.JsonPatch.Apply(original, patch);

    /// <summary>RFC 7386 JSON merge patch (null deletes, objects merge, arrays replace).</summary>
    public static JsonNode ApplyMergePatch(JsonNode original, JsonNode patch) =>
        Patching.MergePatch.Apply(original, patch) ?? throw new PatchException("merge patch would leave no object");

    /// <summary>
    /// Kubernetes strategic merge patch: lists with a patchMergeKey merge by it, "$patch" (replace/delete/merge),
    /// "$setElementOrder/&lt;field&gt;", "$retainKeys", "$deleteFromPrimitiveList/&lt;field&gt;"; schema null = merge patch rules.
    /// </summary>
    public static JsonNode ApplyStrategicMerge(JsonNode original, JsonNode patch, FieldSchema? schema) =>
        StrategicMerge.Apply(original, patch, schema);

    /// <summary>
    /// Server-side apply (apply-patch+yaml): <paramref name="applied"/> is the manager's full intent. Creates when
    /// <paramref name="existing"/> is null; otherwise merges the intent over the live object, removes fields this
    /// manager applied before and no longer applies, and records managedFields for <paramref name="fieldManager"/>.
    /// Throws <see cref="ApplyConflictException"/> when another manager owns a field with a different value and
    /// <paramref name="force"/> is false.
    /// </summary>
    public static JsonObject ApplyServerSide(JsonObject? existing, JsonObject applied, string fieldManager, bool force, FieldSchema? schema) =>
        ServerSideApply.Apply(existing, applied, fieldManager, force, schema, DateTimeOffset.UtcNow);

    /// <inheritdoc cref="ApplyServerSide(JsonObject?, JsonObject, string, bool, FieldSchema?)"/>
    /// <param name="now">The time recorded in the manager's managedFields entry.</param>
    public static JsonObject ApplyServerSide(JsonObject? existing, JsonObject applied, string fieldManager, bool force, FieldSchema? schema,
        DateTimeOffset now) =>
        ServerSideApply.Apply(existing, applied, fieldManager, force, schema, now);

    /// <summary>
    /// managedFields for a create/update/non-apply patch (operation "Update"), as kube-apiserver records them:
    /// returns <paramref name="updated"/> with <paramref name="fieldManager"/> owning the fields it set or changed
    /// (a create owns all). <paramref name="old"/> is the stored object (null on create); an object stored without
    /// managedFields stays untracked on update. Call after defaulting, before the write; kube's default manager is
    /// the user agent's command name ("kubectl-create", "kubectl-client-side-apply", "kubectl-edit"...).
    /// </summary>
    public static JsonObject TrackUpdate(JsonObject? old, JsonObject updated, string fieldManager, FieldSchema? schema, string? subresource = null) =>
        ServerSideApply.Update(old, updated, fieldManager, schema, subresource, DateTimeOffset.UtcNow);

    /// <inheritdoc cref="TrackUpdate(JsonObject?, JsonObject, string, FieldSchema?, string?)"/>
    /// <param name="now">The time recorded in the manager's managedFields entry.</param>
    public static JsonObject TrackUpdate(JsonObject? old, JsonObject updated, string fieldManager, FieldSchema? schema, string? subresource,
        DateTimeOffset now) =>
        ServerSideApply.Update(old, updated, fieldManager, schema, subresource, now);

    /// <summary>The body of an apply-patch+yaml request (YAML or JSON) as an object; malformed: PatchException (400).</summary>
    public static JsonObject ParseApplyPatch(string body) => ApplyYaml.Parse(body);

    /// <summary>
    /// Applies a json-patch, merge-patch or strategic-merge-patch body (by its content type, parameters ignored) to
    /// <paramref name="original"/>. A body that does not parse, or an unknown content type, is a PatchException
    /// with BadRequest (Http answers 415 for content types it does not route here).
    /// </summary>
    public static JsonObject Apply(string contentType, JsonObject original, string body, FieldSchema? schema)
    {
        var mediaType = contentType.Split(';')[0].Trim().ToLowerInvariant();
        JsonNode? patch;
        try
        {
            patch = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            throw new PatchException($"error decoding patch: {e.Message}", badRequest: true);
        }
        var result = mediaType switch
        {
            JsonPatch => patch is JsonArray ops
                ? ApplyJsonPatch(original, ops)
                : throw new PatchException("json: cannot unmarshal object into Go value of type jsonpatch.Patch", badRequest: true),
            MergePatch => ApplyMergePatch(original, patch ?? throw new PatchException("invalid JSON document", badRequest: true)),
            StrategicMergePatch => ApplyStrategicMerge(original, patch ?? throw new PatchException("invalid JSON document", badRequest: true),
                schema),
            _ => throw new PatchException($"the patch type {mediaType} is not supported", badRequest: true),
        };
        return result as JsonObject ?? throw new PatchException("the patch result is not an object");
    }
}

/// <summary>Server-side apply conflicts: 409 Conflict with one cause per field ("conflict with \"kubectl-client-side-apply\"...").</summary>
public sealed class ApplyConflictException(string message, IReadOnlyList<(string Field, string Message)> conflicts) : Exception(message)
{
    public IReadOnlyList<(string Field, string Message)> Conflicts { get; } = conflicts;
}
