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
        if (target.Resource.Runtime is { AcceptsCreate: false })
        {
            throw new ApiError(405, "MethodNotAllowed", "create not allowed while custom resource definition is terminating",
                new JsonObject { ["group"] = target.Resource.Group, ["kind"] = target.Resource.Resource });
        }
        var obj = await HttpIo.ReadObjectAsync(context.Request).ConfigureAwait(false);
        CheckKind(target.Resource, obj);
        CheckFields(context, target.Resource, obj);
        MatchNamespace(target, obj);
        var created = await CreateObjectAsync(target.Resource, target.Namespace, obj, DryRun(context), UpdateManager(context), context.RequestAborted)
            .ConfigureAwait(false);
        await HttpIo.WriteAsync(context, 201, created).ConfigureAwait(false);
    }

    /// <summary>
    /// Create: defaults, namespace must exist, validation, ClusterIP and node port allocation for services, a TTL lease for events,
    /// then the store's create (AlreadyExists when the key is taken). Also used to bootstrap the cluster's objects.
    /// </summary>
    public Task<JsonObject> CreateObjectAsync(ResourceInfo resource, string? ns, JsonObject obj, bool dryRun, CancellationToken cancellationToken) =>
        CreateObjectAsync(resource, ns, obj, dryRun, SystemManager, cancellationToken);

    /// <inheritdoc cref="CreateObjectAsync(ResourceInfo, string?, JsonObject, bool, CancellationToken)"/>
    /// <param name="fieldManager">Who owns the fields it sets (managedFields, operation Update); null when they are already
    /// recorded (a server-side apply).</param>
    public async Task<JsonObject> CreateObjectAsync(ResourceInfo resource, string? ns, JsonObject obj, bool dryRun, string? fieldManager,
        CancellationToken cancellationToken)
    {
        ObjectDefaults.ForCreate(resource, obj, Now);
        if (fieldManager is not null) obj = TrackManagedFields(resource, null, obj, fieldManager, null);
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
            var namespaceObject = await store.GetAsync(RequestTarget.KeyOf(ResourceCatalog.Find("", "v1", "namespaces")!, null, ns!), null, cancellationToken)
                .ConfigureAwait(false) ?? throw ApiError.NamespaceNotFound(ns!);
            if (ObjectDefaults.Str(namespaceObject.Object["status"]?["phase"]) == "Terminating") throw NamespaceTerminating(resource, name, ns!);
        }
        CheckValid(resource, obj, null);
        var key = RequestTarget.KeyOf(resource, ns, name);
        var service = BuiltIn(resource, "services");
        if (dryRun)
        {
            if (service)
            {
                _clusterIps.Preview(obj);
                _nodePorts.Preview(obj);
            }
            return Typed(resource, obj);
        }
        string? ip = null;
        var nodePorts = new HashSet<int>();
        try
        {
            if (service)
            {
                ip = await _clusterIps.AllocateAsync(obj, cancellationToken).ConfigureAwait(false);
                await _nodePorts.AssignAsync(obj, nodePorts, cancellationToken).ConfigureAwait(false);
            }
            var ttl = BuiltIn(resource, "events") ? (long)options.EventTtl.TotalSeconds : 0;
            var stored = await store.CreateAsync(key, obj, ttl, cancellationToken).ConfigureAwait(false);
            if (resource.Runtime is { } runtime) await runtime.WrittenAsync(stored.Object, cancellationToken).ConfigureAwait(false);
            return Typed(resource, stored.Object);
        }
        catch (Exception e) when (e is StoreException or ApiError)
        {
            if (ip is not null) await _clusterIps.ReleaseAsync(ip, cancellationToken).ConfigureAwait(false);
            await _nodePorts.ReleaseAsync(nodePorts, cancellationToken).ConfigureAwait(false);
            if (e is not StoreException storeError) throw;
            var error = ApiError.FromStore(storeError, resource, name);
            // kube's Store.Create: taken by an object that is being deleted says so
            if (storeError.Error == StoreError.AlreadyExists && await store.GetAsync(key, null, cancellationToken).ConfigureAwait(false) is { } existing
                && Lifecycle.IsDeleting(existing.Object))
            {
                error = new ApiError(error.Code, error.Reason, "object is being deleted: " + error.Message, error.Details);
            }
            throw error;
        }
    }

    /// <summary>kube's NamespaceLifecycle admission: nothing new in a namespace that is being terminated.</summary>
    private static ApiError NamespaceTerminating(ResourceInfo resource, string name, string ns) =>
        ApiError.Forbidden(resource, name, $"unable to create new content in namespace {ns} because it is being terminated",
            new JsonArray(new JsonObject
            {
                ["reason"] = "NamespaceTerminating",
                ["message"] = $"namespace {ns} is being terminated",
                ["field"] = "metadata.namespace",
            }));

    /// <summary>
    /// Read-modify-write of one object (the store's GuaranteedUpdate, retried on conflicts), or under dryRun the
    /// same computation without the write. <paramref name="modify"/> gets a copy of the current object and its revision;
    /// <paramref name="fieldManager"/> (null: already recorded, as by server-side apply) takes the fields it changed in
    /// managedFields. An update that removes the last finalizer of an object being deleted deletes it (kube's
    /// ShouldDeleteDuringUpdate); the answer is then the updated object, as kube returns it.
    /// </summary>
    private async Task<JsonObject> ReadModifyWriteAsync(RequestTarget target, Func<JsonObject?, long, JsonObject> modify, bool createIfMissing,
        bool dryRun, string? fieldManager, CancellationToken cancellationToken)
    {
        if (dryRun || !BuiltIn(target.Resource, "services") || target.Subresource is not null)
            return await ReadModifyWriteAsync(target, modify, createIfMissing, dryRun, fieldManager, null, cancellationToken).ConfigureAwait(false);
        // a service's node ports are taken before the write that needs them (retried with what it asks for) and released
        // once the written service no longer holds them
        var taken = new HashSet<int>();
        try
        {
            while (true)
            {
                try
                {
                    JsonObject? old = null;
                    var written = await ReadModifyWriteAsync(target, modify, createIfMissing, dryRun, fieldManager, (result, current) =>
                    {
                        old = current;
                        NodePortAllocator.Assign(result, current, taken);
                    }, cancellationToken).ConfigureAwait(false);
                    var held = NodePortAllocator.Held(written);
                    await _nodePorts.ReleaseAsync(taken.Union(NodePortAllocator.Held(old)).Where(p => !held.Contains(p)), cancellationToken).ConfigureAwait(false);
                    return written;
                }
                catch (NodePortAllocator.Needed needed)
                {
                    await _nodePorts.TakeAsync(needed, taken, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is ApiError or StoreException)
        {
            await _nodePorts.ReleaseAsync(taken, cancellationToken).ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc cref="ReadModifyWriteAsync(RequestTarget, Func{JsonObject?, long, JsonObject}, bool, bool, string?, CancellationToken)"/>
    /// <param name="allocate">Last before the write: fills in what the server allocates (a service's node ports), given the
    /// stored object.</param>
    private async Task<JsonObject> ReadModifyWriteAsync(RequestTarget target, Func<JsonObject?, long, JsonObject> modify, bool createIfMissing,
        bool dryRun, string? fieldManager, Action<JsonObject, JsonObject?>? allocate, CancellationToken cancellationToken)
    {
        JsonObject Modify(StoredObject? current)
        {
            var result = modify((JsonObject?)current?.Object.DeepClone(), current?.ModRevision ?? 0);
            if (fieldManager is not null) result = TrackManagedFields(target.Resource, current?.Object, result, fieldManager, target.Subresource);
            allocate?.Invoke(result, current?.Object);
            return result;
        }
        try
        {
            if (dryRun)
            {
                var current = await store.GetAsync(target.Key, null, cancellationToken).ConfigureAwait(false);
                if (current is null && !createIfMissing) throw ApiError.NotFound(target.Resource, target.Name!);
                var result = Modify(current);
                if (current is not null) ObjectDefaults.Metadata(result)["resourceVersion"] = Revision(current.ModRevision);
                return Typed(target.Resource, result);
            }
            JsonObject? answer = null;
            var (stored, deleted) = await store.GuaranteedUpdateOrDeleteAsync(target.Key, current =>
            {
                answer = ObjectDefaults.Normalized(Modify(current));
                return (answer, current is not null && Lifecycle.ShouldDeleteDuringUpdate(BuiltIn(target.Resource, "namespaces"), answer, current.Object));
            }, createIfMissing, cancellationToken).ConfigureAwait(false);
            if (!deleted)
            {
                if (target.Resource.Runtime is { } runtime) await runtime.WrittenAsync(stored.Object, cancellationToken).ConfigureAwait(false);
                return Typed(target.Resource, stored.Object);
            }
            await AfterDeleteAsync(target.Resource, stored.Object, cancellationToken).ConfigureAwait(false);
            return Typed(target.Resource, answer!);
        }
        catch (StoreException e)
        {
            throw ApiError.FromStore(e, target.Resource, target.Name!);
        }
    }

    /// <summary>The manager kube-apiserver records for its own writes (the standing namespaces and service).</summary>
    private const string SystemManager = "kube-apiserver";

    /// <summary>The manager of a non-apply write: ?fieldManager=, else the user agent's product (kube's
    /// managerOrUserAgent: "kubectl-create" from "kubectl-create/v1.32.0 (linux/amd64) kubernetes/...").</summary>
    private static string UpdateManager(HttpContext context)
    {
        if (Query(context, "fieldManager") is { } manager)
        {
            if (manager.Length > 128) throw new ApiError(422, "Invalid", "fieldManager: Too long: may not be more than 128 bytes");
            return manager;
        }
        var agent = context.Request.Headers.UserAgent.ToString();
        var product = agent.Split('/')[0];
        var printable = new string(product.Where(c => !char.IsControl(c)).ToArray());
        return printable.Length > 128 ? printable[..128] : printable;
    }

    /// <summary>managedFields for a create (<paramref name="old"/> null) or update by <paramref name="manager"/>. Fields the
    /// write cannot set are not recorded for it (kube's reset fields): a create's status when status is a subresource
    /// (LifecycleKubectlTests.EveryWriteRecordsItsManagerInManagedFields).</summary>
    private JsonObject TrackManagedFields(ResourceInfo resource, JsonObject? old, JsonObject updated, string manager, string? subresource)
    {
        var schema = SchemaRegistry.For(resource);
        if (old is not null || !resource.Subresources.Contains("status") || updated["status"] is null)
        {
            return Patcher.TrackUpdate(old, updated, manager, schema, subresource, Now);
        }
        var withoutStatus = (JsonObject)updated.DeepClone();
        withoutStatus.Remove("status");
        var tracked = Patcher.TrackUpdate(null, withoutStatus, manager, schema, null, Now);
        if (tracked["metadata"]?["managedFields"] is { } entries) ObjectDefaults.Metadata(updated)["managedFields"] = entries.DeepClone();
        return updated;
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
                var created = await CreateObjectAsync(target.Resource, target.Namespace, body, dryRun, UpdateManager(context), context.RequestAborted)
                    .ConfigureAwait(false);
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
        }, createIfMissing: false, dryRun, UpdateManager(context), context.RequestAborted).ConfigureAwait(false);
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
            var original = (JsonObject)current.DeepClone();
            ObjectDefaults.Metadata(original)["resourceVersion"] = Revision(revision);
            var result = ApplyPatch(target.Resource, contentType, body, original, context);
            CheckPrecondition(target, result, revision);
            if (validation is not null) CheckFields(context, target.Resource, result);
            result = ObjectDefaults.Normalized(ObjectDefaults.ForUpdate(target.Resource, current, result, target.Subresource));
            CheckValid(target.Resource, result, current);
            return result;
        }, createIfMissing: false, dryRun, contentType == Patcher.ApplyPatchYaml ? null : UpdateManager(context), context.RequestAborted).ConfigureAwait(false);
        await HttpIo.WriteAsync(context, 200, patched).ConfigureAwait(false);
    }
}
