using System.Text.Json.Nodes;
using KvStore.ApiServer.Patching;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Schema;
using KvStore.ApiServer.Storage;
using Microsoft.AspNetCore.Http;

namespace KvStore.ApiServer.Http;

internal sealed partial class ResourceHandler
{
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
                    await _nodePorts.ReleaseAsync(taken.Union(NodePortAllocator.Held(old)).Where(p => !held.Contains(p)), cancellationToken)
                        .ConfigureAwait(false);
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
                return (answer, current is not null && Lifecycle.ShouldDeleteDuringUpdate(BuiltIn(target.Resource, "namespaces"), answer,
                    current.Object));
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
}
