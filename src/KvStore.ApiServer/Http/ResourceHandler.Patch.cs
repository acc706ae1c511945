using System.Text.Json.Nodes;
using KvStore.ApiServer.Patching;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Schema;
using KvStore.ApiServer.Storage;
using Microsoft.AspNetCore.Http;

namespace KvStore.ApiServer.Http;

internal sealed partial class ResourceHandler
{
    /// <summary>The patch body applied to <paramref name="current"/> by content type.</summary>
    private static JsonObject ApplyPatch(ResourceInfo resource, string contentType, string body, JsonObject current, HttpContext context)
    {
        try
        {
            JsonNode? result;
            switch (contentType)
            {
                case Patcher.JsonPatch:
                    var operations = HttpIo.ParseDocument(body, HttpIo.Json) as JsonArray
                        ?? throw ApiError.BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
                    result = Patcher.ApplyJsonPatch(current, operations);
                    break;
                case Patcher.MergePatch:
                    result = Patcher.ApplyMergePatch(current, HttpIo.ParseDocument(body, HttpIo.Json) ?? new JsonObject());
                    break;
                case Patcher.StrategicMergePatch:
                    result = Patcher.ApplyStrategicMerge(current, HttpIo.ParseDocument(body, HttpIo.Json) ?? new JsonObject(),
                        SchemaRegistry.For(resource));
                    break;
                case Patcher.ApplyPatchYaml:
                    var applied = HttpIo.ParseDocument(body, "application/yaml") as JsonObject
                        ?? throw ApiError.BadRequest("the body of an apply patch must be an object");
                    CheckKind(resource, applied);
                    result = Patcher.ApplyServerSide(current, applied, FieldManager(context), Query(context, "force") == "true",
                        SchemaRegistry.For(resource));
                    break;
                default:
                    throw ApiError.UnsupportedMediaType(contentType);
            }
            return result as JsonObject ?? throw ApiError.BadRequest("the patch did not produce an object");
        }
        catch (PatchException e)
        {
            throw e.BadRequest ? ApiError.BadRequest(e.Message) : new ApiError(422, "Invalid", e.Message);
        }
        catch (ApplyConflictException e)
        {
            var details = new JsonObject
            {
                ["causes"] = new JsonArray(e.Conflicts.Select(c => (JsonNode)new JsonObject
                {
                    ["reason"] = "FieldManagerConflict",
                    ["message"] = c.Message,
                    ["field"] = c.Field,
                }).ToArray()),
            };
            throw new ApiError(409, "Conflict", e.Message, details);
        }
    }

    private static string FieldManager(HttpContext context) =>
        Query(context, "fieldManager") is { Length: > 0 } manager ? manager
            : throw new ApiError(422, "Invalid",
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");

    private async Task PatchAsync(HttpContext context, RequestTarget target)
    {
        var contentType = (context.Request.ContentType ?? "").Split(';')[0].Trim();
        if (contentType is not (Patcher.JsonPatch or Patcher.MergePatch or Patcher.StrategicMergePatch or Patcher.ApplyPatchYaml))
        {
            throw ApiError.UnsupportedMediaType(context.Request.ContentType ?? "");
        }
        if (contentType == Patcher.StrategicMergePatch && target.Resource.Runtime is { StrategicMergePatch: false })
        {
            // kube serves no strategic merge patch for custom resources (nor CRDs): no Go struct carries their patch tags
            throw new ApiError(415, "UnsupportedMediaType",
                $"the body of the request was in an unknown format - accepted media types include: {Patcher.JsonPatch}, {Patcher.MergePatch}, " +
                    $"{Patcher.ApplyPatchYaml}");
        }
        var body = await HttpIo.ReadBodyAsync(context.Request).ConfigureAwait(false);
        var dryRun = DryRun(context);
        if (contentType == Patcher.ApplyPatchYaml && target.Subresource is null
            && await store.GetAsync(target.Key, null, context.RequestAborted).ConfigureAwait(false) is null)
        {
            // server-side apply of a missing object creates it
            var applied = HttpIo.ParseDocument(body, "application/yaml") as JsonObject ?? throw ApiError.BadRequest(
                "the body of an apply patch must be an object");
            CheckKind(target.Resource, applied);
            var bodyName = ObjectDefaults.Str(applied["metadata"]?["name"]);
            if (bodyName != target.Name)
            {
                throw ApiError.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({target.Name})");
            }
            CheckFields(context, target.Resource, applied);
            MatchNamespace(target, applied);
            JsonObject fresh;
            try
            {
                fresh = StorageVersions.ToStorage(target.Resource,
                    Patcher.ApplyServerSide(null, applied, FieldManager(context), Query(context, "force") == "true",
                        SchemaRegistry.For(target.Resource)), null);
            }
            catch (PatchException e)
            {
                throw e.BadRequest ? ApiError.BadRequest(e.Message) : new ApiError(422, "Invalid", e.Message);
            }
            try
            {
                var created = await CreateObjectAsync(target.Resource, target.Namespace, fresh, dryRun, fieldManager: null, context.RequestAborted)
                    .ConfigureAwait(false);
                await HttpIo.WriteAsync(context, 201, created).ConfigureAwait(false);
                return;
            }
            catch (ApiError e) when (e.Reason == "AlreadyExists")
            {
                // created meanwhile: apply over it below
            }
        }
        var validation = Query(context, "fieldValidation");
        var patched = await ReadModifyWriteAsync(target, (current, revision) =>
        {
            if (current is null) throw ApiError.NotFound(target.Resource, target.Name!);
            // the patch applies to the object at the URL's version
            var original = Typed(target.Resource, (JsonObject)current.DeepClone());
            ObjectDefaults.Metadata(original)["resourceVersion"] = Revision(revision);
            var result = ApplyPatch(target.Resource, contentType, body, original, context);
            CheckPrecondition(target, result, revision);
            if (validation is not null) CheckFields(context, target.Resource, result);
            result = StorageVersions.ToStorage(target.Resource, result, current);
            result = ObjectDefaults.Normalized(ObjectDefaults.ForUpdate(target.Resource, current, result, target.Subresource));
            CheckValid(target.Resource, result, current);
            return result;
        }, createIfMissing: false, dryRun, contentType == Patcher.ApplyPatchYaml ? null : UpdateManager(context), context.RequestAborted)
            .ConfigureAwait(false);
        await HttpIo.WriteAsync(context, 200, patched).ConfigureAwait(false);
    }
}
