using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Storage;
using Microsoft.AspNetCore.Http;

namespace KvStore.ApiServer.Http;

/// <summary>What a delete did: the answer (the object, or a Success Status) and whether the key is gone (else it is
/// being deleted: it waits for its finalizers, or a namespace for its content).</summary>
internal sealed record DeleteOutcome(JsonObject Result, bool Deleted);

internal sealed partial class ResourceHandler
{
    private static readonly string[] UndeletableNamespaces = ["default", "kube-system", "kube-public"];

    private async Task DeleteAsync(HttpContext context, RequestTarget target)
    {
        var options = await DeleteOptions.ReadAsync(context).ConfigureAwait(false);
        if (options.DryRun) DryRun(context);
        if (BuiltIn(target.Resource, "namespaces") && UndeletableNamespaces.Contains(target.Name))
        {
            throw new ApiError(403, "Forbidden", $"namespaces \"{target.Name}\" is forbidden: this namespace may not be deleted",
                new JsonObject { ["name"] = target.Name, ["kind"] = "namespaces" });
        }
        var outcome = await DeleteObjectAsync(target.Resource, target.Namespace, target.Name!, options, context.RequestAborted).ConfigureAwait(false);
        // kube's handler: 202 when the object stays and the client explicitly asked not to orphan (orphanDependents=false)
        var code = !outcome.Deleted && options.OrphanDependents == false ? 202 : 200;
        await HttpIo.WriteAsync(context, code, outcome.Result).ConfigureAwait(false);
    }

    /// <summary>
    /// kube's generic registry Delete: an object with finalizers (or getting the garbage collector's orphan or
    /// foregroundDeletion from the options) is marked deleting (deletionTimestamp now, deletionGracePeriodSeconds 0,
    /// generation bumped), a CRD as its own REST Delete does, and each stays until an update removes its last finalizer;
    /// any other is deleted at once. Pods too:
    /// there is no kubelet to carry out a grace period. Namespaces follow their own rules (<see cref="DeleteNamespaceAsync"/>).
    /// Retries from a fresh read when the object changed under it; NotFound when it is gone.
    /// </summary>
    public async Task<DeleteOutcome> DeleteObjectAsync(ResourceInfo resource, string? ns, string name, DeleteOptions options,
        CancellationToken cancellationToken)
    {
        return BuiltIn(resource, "namespaces")
            ? await DeleteNamespaceAsync(name, options, cancellationToken).ConfigureAwait(false)
            : await DeleteGenericAsync(resource, ns, name, options, cancellationToken).ConfigureAwait(false);
    }

    private async Task<DeleteOutcome> DeleteGenericAsync(ResourceInfo resource, string? ns, string name, DeleteOptions options,
        CancellationToken cancellationToken)
    {
        var key = RequestTarget.KeyOf(resource, ns, name);
        try
        {
            while (true)
            {
                var current = await store.GetAsync(key, null, cancellationToken).ConfigureAwait(false) ?? throw ApiError.NotFound(resource, name);
                CheckDeletePreconditions(resource, current, options);
                if (Marked(resource, current.Object, options) is { } marked)
                {
                    if (options.DryRun) return new(Typed(resource, marked), false);
                    try
                    {
                        var updated = await store.UpdateAsync(key, ObjectDefaults.Normalized(marked), current.ModRevision, cancellationToken)
                            .ConfigureAwait(false);
                        return new(Typed(resource, updated.Object), false);
                    }
                    catch (StoreException e) when (e.Error == StoreError.Conflict)
                    {
                        continue;
                    }
                }
                if (options.DryRun) return new(DeleteResult(resource, Typed(resource, current.Object)), true);
                try
                {
                    var deleted = await store.DeleteAsync(key, current.ModRevision, cancellationToken).ConfigureAwait(false);
                    await AfterDeleteAsync(resource, deleted.Object, cancellationToken).ConfigureAwait(false);
                    return new(DeleteResult(resource, Typed(resource, deleted.Object)), true);
                }
                catch (StoreException e) when (e.Error == StoreError.Conflict)
                {
                }
            }
        }
        catch (StoreException e)
        {
            throw ApiError.FromStore(e, resource, name);
        }
    }

    /// <summary>The object marked as being deleted, or null when the delete removes it at once: a kind that marks its own first
    /// delete (a CRD), else one with finalizers, or getting the garbage collector's from the options.</summary>
    private JsonObject? Marked(ResourceInfo resource, JsonObject current, DeleteOptions options)
    {
        var marked = (JsonObject)current.DeepClone();
        if (resource.Runtime is { } runtime && !Lifecycle.IsDeleting(current) && runtime.MarkDeleting(marked, Now)) return marked;
        var finalizers = Lifecycle.Finalizers(current);
        var gcFinalizers = options.GarbageCollectionFinalizers(finalizers);
        if ((gcFinalizers ?? finalizers).Count == 0) return null;
        if (gcFinalizers is not null) Lifecycle.SetFinalizers(marked, gcFinalizers);
        Lifecycle.MarkAsDeleting(marked, Now);
        return marked;
    }

    /// <summary>kube's rest.BeforeDelete precondition checks and their words (the Conflict names the kind).</summary>
    private static void CheckDeletePreconditions(ResourceInfo resource, StoredObject current, DeleteOptions options)
    {
        var meta = ObjectDefaults.Metadata(current.Object);
        var uid = ObjectDefaults.Str(meta["uid"]);
        var name = ObjectDefaults.Str(meta["name"]) ?? "";
        if (options.Uid is { } wantedUid && wantedUid != uid)
        {
            throw KindConflict(resource, name,
                $"the UID in the precondition ({wantedUid}) does not match the UID in record ({uid}). " +
                "The object might have been deleted and then recreated");
        }
        if (options.ResourceVersion is { } wantedRv && wantedRv != Revision(current.ModRevision))
        {
            throw KindConflict(resource, name,
                $"the ResourceVersion in the precondition ({wantedRv}) does not match the ResourceVersion in record ({current.ModRevision}). " +
                "The object might have been modified");
        }
    }

    /// <summary>A Conflict on the kind (kube's BeforeDelete builds its GroupResource from the kind): `ConfigMap "x"`.</summary>
    private static ApiError KindConflict(ResourceInfo resource, string name, string why)
    {
        var qualified = resource.Group.Length == 0 ? resource.Kind : $"{resource.Kind}.{resource.Group}";
        var details = new JsonObject { ["name"] = name };
        if (resource.Group.Length > 0) details["group"] = resource.Group;
        details["kind"] = resource.Kind;
        return new ApiError(409, "Conflict", $"Operation cannot be fulfilled on {qualified} \"{name}\": {why}", details);
    }

    /// <summary>
    /// kube's namespace REST Delete: the first delete marks it Terminating (deletionTimestamp, status.phase, the garbage
    /// collector's finalizers as the options say) and the namespace controller empties it; while spec.finalizers is not
    /// empty a delete returns it unchanged; once finalized, the generic delete.
    /// </summary>
    private async Task<DeleteOutcome> DeleteNamespaceAsync(string name, DeleteOptions options, CancellationToken cancellationToken)
    {
        var resource = ResourceCatalog.Find("", "v1", "namespaces")!;
        var key = RequestTarget.KeyOf(resource, null, name);
        var current = await store.GetAsync(key, null, cancellationToken).ConfigureAwait(false) ?? throw ApiError.NotFound(resource, name);
        var uid = ObjectDefaults.Str(current.Object["metadata"]?["uid"]);
        if (options.Uid is { } wantedUid && wantedUid != uid)
        {
            throw ApiError.Conflict(resource, name, $"Precondition failed: UID in precondition: {wantedUid}, UID in object meta: {uid}");
        }
        if (options.ResourceVersion is { } wantedRv && wantedRv != Revision(current.ModRevision))
        {
            throw ApiError.Conflict(resource, name,
                $"Precondition failed: ResourceVersion in precondition: {wantedRv}, ResourceVersion in object meta: {current.ModRevision}");
        }
        if (current.Object["metadata"]?["deletionTimestamp"] is null)
        {
            JsonObject Terminate(JsonObject ns)
            {
                if (ObjectDefaults.Str(ns["metadata"]?["uid"]) != uid) throw ApiError.Conflict(resource, name,
                    $"Precondition failed: UID in precondition: {uid}, UID in object meta: {ObjectDefaults.Str(ns["metadata"]?["uid"])}");
                var meta = ObjectDefaults.Metadata(ns);
                meta["deletionTimestamp"] ??= ObjectDefaults.Now(Now);
                if (ns["status"] is not JsonObject status) ns["status"] = status = [];
                status["phase"] = "Terminating";
                var finalizers = Lifecycle.Finalizers(ns).Where(f => f is not (DeleteOptions.OrphanFinalizer or DeleteOptions.ForegroundFinalizer))
                    .ToList();
                if (options.OrphanDependents ?? (options.PropagationPolicy is { } p ? p == DeleteOptions.Orphan
                    : Lifecycle.Finalizers(ns).Contains(DeleteOptions.OrphanFinalizer)))
                {
                    finalizers.Add(DeleteOptions.OrphanFinalizer);
                }
                if (options.OrphanDependents is { } o ? !o : options.PropagationPolicy is { } q ? q == DeleteOptions.Foreground
                    : Lifecycle.Finalizers(ns).Contains(DeleteOptions.ForegroundFinalizer))
                {
                    finalizers.Add(DeleteOptions.ForegroundFinalizer);
                }
                Lifecycle.SetFinalizers(ns, finalizers);
                return ns;
            }
            if (options.DryRun) return new(Typed(resource, Terminate((JsonObject)current.Object.DeepClone())), false);
            try
            {
                var marked = await store.GuaranteedUpdateAsync(key, c => ObjectDefaults.Normalized(Terminate((JsonObject)c!.Object.DeepClone())),
                    createIfMissing: false, cancellationToken).ConfigureAwait(false);
                return new(Typed(resource, marked.Object), false);
            }
            catch (StoreException e)
            {
                throw ApiError.FromStore(e, resource, name);
            }
        }
        if (current.Object["spec"]?["finalizers"] is JsonArray { Count: > 0 }) return new(Typed(resource, current.Object), false);
        return await DeleteGenericAsync(resource, null, name, options, cancellationToken).ConfigureAwait(false);
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
            await _clusterIps.ReleaseAsync(deleted, cancellationToken).ConfigureAwait(false);
            await _nodePorts.ReleaseAsync(NodePortAllocator.Held(deleted), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>kube's DeleteCollection: the listed objects (consistent read, selectors applied), each deleted as one DELETE
    /// with the same options would; the answer is the list as it was read.</summary>
    private async Task DeleteCollectionAsync(HttpContext context, RequestTarget target)
    {
        var labels = LabelSelector.Parse(Query(context, "labelSelector"));
        var fields = FieldSelector.Parse(Query(context, "fieldSelector"), target.Resource);
        var options = await DeleteOptions.ReadAsync(context).ConfigureAwait(false);
        if (options.DryRun) DryRun(context);
        if (BuiltIn(target.Resource, "namespaces")) throw ApiError.MethodNotAllowed();
        ListPage page;
        try
        {
            page = await store.ListAsync(target.CollectionPrefix, null, 0, null, Filter(labels, fields), context.RequestAborted)
                .ConfigureAwait(false);
        }
        catch (StoreException e)
        {
            throw ApiError.FromStore(e, target.Resource, "");
        }
        foreach (var item in page.Items)
        {
            var meta = ObjectDefaults.Metadata(item.Object);
            try
            {
                await DeleteObjectAsync(target.Resource, ObjectDefaults.Str(meta["namespace"]), ObjectDefaults.Str(meta["name"])!, options,
                    context.RequestAborted).ConfigureAwait(false);
            }
            catch (ApiError e) when (e.Code == 404)
            {
            }
        }
        var listed = page.Items.Select(i => Typed(target.Resource, i.Object));
        await HttpIo.WriteAsync(context, 200, ListOf(target.Resource, new JsonObject { ["resourceVersion"] = Revision(page.Revision) }, listed))
            .ConfigureAwait(false);
    }
}
