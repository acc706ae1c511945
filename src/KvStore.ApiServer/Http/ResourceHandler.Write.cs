using System.Text.Json.Nodes;
using KvStore.ApiServer.Patching;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Schema;
using KvStore.ApiServer.Storage;
using Microsoft.AspNetCore.Http;

namespace KvStore.ApiServer.Http;

internal sealed partial class ResourceHandler
{
    /// <summary>Resources kube lets a PUT create (AllowCreateOnUpdate).</summary>
    private static bool CreateOnUpdate(ResourceInfo resource) => resource.Runtime is null && resource.Resource is "endpoints" or "events" or "leases";

    private static void CheckKind(ResourceInfo resource, JsonObject obj)
    {
        var apiVersion = ObjectDefaults.Str(obj["apiVersion"]);
        var kind = ObjectDefaults.Str(obj["kind"]);
        if (apiVersion is { Length: > 0 } && apiVersion != resource.ApiVersion)
        {
            throw ApiError.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({resource.ApiVersion})");
        }
        if (kind is { Length: > 0 } && kind != resource.Kind)
        {
            throw ApiError.BadRequest($"{kind} in version \"{resource.Version}\" cannot be handled as a {resource.Kind}: no kind \"{kind}\" is registered for version \"{resource.ApiVersion}\"");
        }
    }

    /// <summary>The namespace from the URL, checked against the object's (kube's rest.EnsureObjectNamespaceMatchesRequestNamespace).</summary>
    private static void MatchNamespace(RequestTarget target, JsonObject obj)
    {
        var meta = ObjectDefaults.Metadata(obj);
        if (!target.Resource.Namespaced)
        {
            meta.Remove("namespace");
            return;
        }
        var ns = ObjectDefaults.Str(meta["namespace"]);
        if (ns is { Length: > 0 } && ns != target.Namespace)
        {
            throw ApiError.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
        meta["namespace"] = target.Namespace;
    }

    private async Task CreateAsync(HttpContext context, RequestTarget target)
    {
        var obj = await HttpIo.ReadObjectAsync(context.Request).ConfigureAwait(false);
        CheckKind(target.Resource, obj);
        CheckFields(context, target.Resource, obj);
        MatchNamespace(target, obj);
        var created = await CreateObjectAsync(target.Resource, target.Namespace, obj, DryRun(context), context.RequestAborted).ConfigureAwait(false);
        await HttpIo.WriteAsync(context, 201, created).ConfigureAwait(false);
    }

    /// <summary>
    /// Create: defaults, namespace must exist, validation, ClusterIP allocation for services, a TTL lease for events,
    /// then the store's create (AlreadyExists when the key is taken). Also used to bootstrap the cluster's objects.
    /// </summary>
    public async Task<JsonObject> CreateObjectAsync(ResourceInfo resource, string? ns, JsonObject obj, bool dryRun, CancellationToken cancellationToken)
    {
        ObjectDefaults.ForCreate(resource, obj, Now);
        obj = ObjectDefaults.Normalized(obj);
        var meta = ObjectDefaults.Metadata(obj);
        var name = ObjectDefaults.Str(meta["name"]);
        if (string.IsNullOrEmpty(name))
        {
            throw ApiError.Invalid(resource, "", [new FieldCause("FieldValueRequired", "Required value: name or generateName is required", "metadata.name")]);
        }
        if (resource.Namespaced)
        {
            meta["namespace"] = ns;
            if (await store.GetAsync(RequestTarget.KeyOf(ResourceCatalog.Find("", "v1", "namespaces")!, null, ns!), null, cancellationToken).ConfigureAwait(false) is null)
            {
                throw ApiError.NamespaceNotFound(ns!);
            }
        }
        CheckValid(resource, obj, null);
        var key = RequestTarget.KeyOf(resource, ns, name);
        string? allocated = null;
        if (BuiltIn(resource, "services") && !dryRun)
        {
            allocated = await AllocateClusterIpAsync(obj, cancellationToken).ConfigureAwait(false);
        }
        else if (BuiltIn(resource, "services"))
        {
            PreviewClusterIp(obj);
        }
        if (dryRun) return Typed(resource, obj);
        try
        {
            var ttl = BuiltIn(resource, "events") ? (long)options.EventTtl.TotalSeconds : 0;
            var stored = await store.CreateAsync(key, obj, ttl, cancellationToken).ConfigureAwait(false);
            if (resource.Runtime is { } runtime) await runtime.WrittenAsync(stored.Object, cancellationToken).ConfigureAwait(false);
            return Typed(resource, stored.Object);
        }
        catch (StoreException e)
        {
            if (allocated is not null) await ReleaseClusterIpAsync(allocated, cancellationToken).ConfigureAwait(false);
            throw ApiError.FromStore(e, resource, name);
        }
    }

    /// <summary>
    /// Read-modify-write of one object (the store's GuaranteedUpdate, retried on conflicts), or under dryRun the
    /// same computation without the write. <paramref name="modify"/> gets a copy of the current object and its revision.
    /// </summary>
    private async Task<JsonObject> ReadModifyWriteAsync(RequestTarget target, Func<JsonObject?, long, JsonObject> modify, bool createIfMissing,
        bool dryRun, CancellationToken cancellationToken)
    {
        try
        {
            if (dryRun)
            {
                var current = await store.GetAsync(target.Key, null, cancellationToken).ConfigureAwait(false);
                if (current is null && !createIfMissing) throw ApiError.NotFound(target.Resource, target.Name!);
                var result = modify((JsonObject?)current?.Object.DeepClone(), current?.ModRevision ?? 0);
                if (current is not null) ObjectDefaults.Metadata(result)["resourceVersion"] = Revision(current.ModRevision);
                return Typed(target.Resource, result);
            }
            var stored = await store.GuaranteedUpdateAsync(target.Key,
                current => ObjectDefaults.Normalized(modify((JsonObject?)current?.Object.DeepClone(), current?.ModRevision ?? 0)), createIfMissing, cancellationToken).ConfigureAwait(false);
            if (target.Resource.Runtime is { } runtime) await runtime.WrittenAsync(stored.Object, cancellationToken).ConfigureAwait(false);
            return Typed(target.Resource, stored.Object);
        }
        catch (StoreException e)
        {
            throw ApiError.FromStore(e, target.Resource, target.Name!);
        }
    }

    private static void CheckPrecondition(RequestTarget target, JsonObject obj, long currentRevision)
    {
        if (ObjectDefaults.Str(obj["metadata"]?["resourceVersion"]) is { Length: > 0 } rv && rv != Revision(currentRevision))
        {
            if (!long.TryParse(rv, out _)) throw ApiError.BadRequest($"invalid resourceVersion: \"{rv}\"");
            throw ApiError.Conflict(target.Resource, target.Name!);
        }
    }

    private async Task UpdateAsync(HttpContext context, RequestTarget target)
    {
        var body = await HttpIo.ReadObjectAsync(context.Request).ConfigureAwait(false);
        CheckKind(target.Resource, body);
        var bodyName = ObjectDefaults.Str(body["metadata"]?["name"]);
        if (bodyName != target.Name)
        {
            throw ApiError.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({target.Name})");
        }
        CheckFields(context, target.Resource, body);
        MatchNamespace(target, body);
        var dryRun = DryRun(context);
        if (CreateOnUpdate(target.Resource) && await store.GetAsync(target.Key, null, context.RequestAborted).ConfigureAwait(false) is null)
        {
            try
            {
                var created = await CreateObjectAsync(target.Resource, target.Namespace, body, dryRun, context.RequestAborted).ConfigureAwait(false);
                await HttpIo.WriteAsync(context, 201, created).ConfigureAwait(false);
                return;
            }
            catch (ApiError e) when (e.Reason == "AlreadyExists")
            {
                // created meanwhile: update it below
            }
        }
        var updated = await ReadModifyWriteAsync(target, (current, revision) =>
        {
            if (current is null) throw ApiError.NotFound(target.Resource, target.Name!);
            CheckPrecondition(target, body, revision);
            var result = ObjectDefaults.Normalized(ObjectDefaults.ForUpdate(target.Resource, current, (JsonObject)body.DeepClone(), target.Subresource));
            CheckValid(target.Resource, result, current);
            return result;
        }, createIfMissing: false, dryRun, context.RequestAborted).ConfigureAwait(false);
        await HttpIo.WriteAsync(context, 200, updated).ConfigureAwait(false);
    }

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
                    result = Patcher.ApplyStrategicMerge(current, HttpIo.ParseDocument(body, HttpIo.Json) ?? new JsonObject(), SchemaRegistry.For(resource));
                    break;
                case Patcher.ApplyPatchYaml:
                    var applied = HttpIo.ParseDocument(body, "application/yaml") as JsonObject ?? throw ApiError.BadRequest("the body of an apply patch must be an object");
                    CheckKind(resource, applied);
                    result = Patcher.ApplyServerSide(current, applied, FieldManager(context), Query(context, "force") == "true", SchemaRegistry.For(resource));
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
            : throw new ApiError(422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");

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
                $"the body of the request was in an unknown format - accepted media types include: {Patcher.JsonPatch}, {Patcher.MergePatch}, {Patcher.ApplyPatchYaml}");
        }
        var body = await HttpIo.ReadBodyAsync(context.Request).ConfigureAwait(false);
        var dryRun = DryRun(context);
        if (contentType == Patcher.ApplyPatchYaml && target.Subresource is null
            && await store.GetAsync(target.Key, null, context.RequestAborted).ConfigureAwait(false) is null)
        {
            // server-side apply of a missing object creates it
            var applied = HttpIo.ParseDocument(body, "application/yaml") as JsonObject ?? throw ApiError.BadRequest("the body of an apply patch must be an object");
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
                fresh = Patcher.ApplyServerSide(null, applied, FieldManager(context), Query(context, "force") == "true", SchemaRegistry.For(target.Resource));
            }
            catch (PatchException e)
            {
                throw e.BadRequest ? ApiError.BadRequest(e.Message) : new ApiError(422, "Invalid", e.Message);
            }
            try
            {
                var created = await CreateObjectAsync(target.Resource, target.Namespace, fresh, dryRun, context.RequestAborted).ConfigureAwait(false);
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
            var original = (JsonObject)current.DeepClone();
            ObjectDefaults.Metadata(original)["resourceVersion"] = Revision(revision);
            var result = ApplyPatch(target.Resource, contentType, body, original, context);
            CheckPrecondition(target, result, revision);
            if (validation is not null) CheckFields(context, target.Resource, result);
            result = ObjectDefaults.Normalized(ObjectDefaults.ForUpdate(target.Resource, current, result, target.Subresource));
            CheckValid(target.Resource, result, current);
            return result;
        }, createIfMissing: false, dryRun, context.RequestAborted).ConfigureAwait(false);
        await HttpIo.WriteAsync(context, 200, patched).ConfigureAwait(false);
    }

    /// <summary>DeleteOptions from the body (kubectl sends {"propagationPolicy":"Background"}) or the query.</summary>
    private static async Task<(string? Uid, string? ResourceVersion)> DeletePreconditionsAsync(HttpContext context)
    {
        string? uid = null, rv = null;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            if (await HttpIo.ReadOptionalObjectAsync(context.Request).ConfigureAwait(false) is { } options)
            {
                uid = ObjectDefaults.Str(options["preconditions"]?["uid"]);
                rv = ObjectDefaults.Str(options["preconditions"]?["resourceVersion"]);
                if (options["dryRun"] is JsonArray dry && dry.Count > 0) context.Items["dryRun"] = true;
            }
        }
        return (uid, rv);
    }

    private static readonly string[] UndeletableNamespaces = ["default", "kube-system", "kube-public"];

    private async Task DeleteAsync(HttpContext context, RequestTarget target)
    {
        var (uid, rv) = await DeletePreconditionsAsync(context).ConfigureAwait(false);
        var dryRun = DryRun(context) || context.Items.ContainsKey("dryRun");
        var resource = target.Resource;
        if (BuiltIn(resource, "namespaces") && UndeletableNamespaces.Contains(target.Name))
        {
            throw new ApiError(403, "Forbidden", $"namespaces \"{target.Name}\" is forbidden: this namespace may not be deleted",
                new JsonObject { ["name"] = target.Name, ["kind"] = "namespaces" });
        }
        var current = await ReadAsync(target, null, context.RequestAborted).ConfigureAwait(false);
        var meta = ObjectDefaults.Metadata(current.Object);
        if (uid is { Length: > 0 } && uid != ObjectDefaults.Str(meta["uid"]))
        {
            throw ApiError.Conflict(resource, target.Name!, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {ObjectDefaults.Str(meta["uid"])}");
        }
        if (rv is { Length: > 0 } && rv != Revision(current.ModRevision))
        {
            throw ApiError.Conflict(resource, target.Name!, $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in meta: {current.ModRevision}");
        }
        if (dryRun)
        {
            await HttpIo.WriteAsync(context, 200, DeleteResult(resource, Typed(resource, current.Object))).ConfigureAwait(false);
            return;
        }
        if (BuiltIn(resource, "namespaces"))
        {
            await DeleteNamespaceContentsAsync(target.Name!, context.RequestAborted).ConfigureAwait(false);
        }
        if (resource.Runtime is { } runtime) await runtime.DeletingAsync(current.Object, context.RequestAborted).ConfigureAwait(false);
        StoredObject deleted;
        try
        {
            deleted = await store.DeleteAsync(target.Key, rv is { Length: > 0 } ? current.ModRevision : null, context.RequestAborted).ConfigureAwait(false);
        }
        catch (StoreException e)
        {
            throw ApiError.FromStore(e, resource, target.Name!);
        }
        await AfterDeleteAsync(resource, deleted.Object, context.RequestAborted).ConfigureAwait(false);
        await HttpIo.WriteAsync(context, 200, DeleteResult(resource, Typed(resource, deleted.Object))).ConfigureAwait(false);
    }

    /// <summary>kube returns the deleted object for the resources whose registry says ReturnDeletedObject (pods,
    /// services, namespaces...), a Success Status with details for the others.</summary>
    private static JsonObject DeleteResult(ResourceInfo resource, JsonObject deleted)
    {
        if (resource.Runtime is null && resource.Resource is "pods" or "services" or "namespaces" or "nodes") return deleted;
        var details = new JsonObject { ["name"] = ObjectDefaults.Str(deleted["metadata"]?["name"]) };
        if (resource.Group.Length > 0) details["group"] = resource.Group;
        details["kind"] = resource.Resource;
        details["uid"] = ObjectDefaults.Str(deleted["metadata"]?["uid"]);
        return new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = details,
        };
    }

    private async Task AfterDeleteAsync(ResourceInfo resource, JsonObject deleted, CancellationToken cancellationToken)
    {
        if (resource.Runtime is { } runtime) await runtime.DeletedAsync(deleted, cancellationToken).ConfigureAwait(false);
        if (BuiltIn(resource, "services"))
        {
            foreach (var ip in (deleted["spec"]?["clusterIPs"] as JsonArray ?? []).Select(ObjectDefaults.Str).Append(ObjectDefaults.Str(deleted["spec"]?["clusterIP"])).Distinct())
            {
                if (ip is { Length: > 0 } and not "None") await ReleaseClusterIpAsync(ip, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>What the namespace controller does, at once: every namespaced object in the namespace goes.</summary>
    private async Task DeleteNamespaceContentsAsync(string ns, CancellationToken cancellationToken)
    {
        foreach (var resource in served.All.Where(r => r.Namespaced))
        {
            ListPage page;
            try
            {
                page = await store.ListAsync($"{resource.KeyPrefix}{ns}/", null, 0, null, null, cancellationToken).ConfigureAwait(false);
            }
            catch (StoreException e)
            {
                throw ApiError.FromStore(e, resource, "");
            }
            foreach (var item in page.Items)
            {
                try
                {
                    var deleted = await store.DeleteAsync(item.Key, null, cancellationToken).ConfigureAwait(false);
                    await AfterDeleteAsync(resource, deleted.Object, cancellationToken).ConfigureAwait(false);
                }
                catch (StoreException e) when (e.Error == StoreError.NotFound)
                {
                }
            }
        }
    }

    private async Task DeleteCollectionAsync(HttpContext context, RequestTarget target)
    {
        var labels = LabelSelector.Parse(Query(context, "labelSelector"));
        var fields = FieldSelector.Parse(Query(context, "fieldSelector"), target.Resource);
        await DeletePreconditionsAsync(context).ConfigureAwait(false);
        var dryRun = DryRun(context) || context.Items.ContainsKey("dryRun");
        if (BuiltIn(target.Resource, "namespaces")) throw ApiError.MethodNotAllowed();
        ListPage page;
        try
        {
            page = await store.ListAsync(target.CollectionPrefix, null, 0, null, Filter(labels, fields), context.RequestAborted).ConfigureAwait(false);
        }
        catch (StoreException e)
        {
            throw ApiError.FromStore(e, target.Resource, "");
        }
        var deleted = new List<JsonObject>();
        foreach (var item in page.Items)
        {
            if (dryRun)
            {
                deleted.Add(Typed(target.Resource, item.Object));
                continue;
            }
            try
            {
                if (target.Resource.Runtime is { } runtime) await runtime.DeletingAsync(item.Object, context.RequestAborted).ConfigureAwait(false);
                var gone = await store.DeleteAsync(item.Key, null, context.RequestAborted).ConfigureAwait(false);
                await AfterDeleteAsync(target.Resource, gone.Object, context.RequestAborted).ConfigureAwait(false);
                deleted.Add(Typed(target.Resource, gone.Object));
            }
            catch (StoreException e) when (e.Error == StoreError.NotFound)
            {
            }
        }
        await HttpIo.WriteAsync(context, 200, ListOf(target.Resource, new JsonObject { ["resourceVersion"] = Revision(page.Revision) }, deleted)).ConfigureAwait(false);
    }
}
