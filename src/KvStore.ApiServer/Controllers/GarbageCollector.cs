using System.Text.Json.Nodes;
using KvStore.ApiServer.Http;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Storage;
using KvStore.ApiServer.Storage.Cache;
using Microsoft.Extensions.Logging;

namespace KvStore.ApiServer.Controllers;

/// <summary>
/// kube-controller-manager's garbage collector, in the facade. Fed by every watch cache, it keeps the owner graph and:
/// deletes an object once none of its owners exists (the owner is gone, or has another uid), with the propagation its own
/// finalizers ask for; drops references to missing owners from an object that still has one; for an owner deleted with
/// Orphan (finalizer "orphan") removes the reference from each dependent, then the finalizer; for one deleted with
/// Foreground (finalizer "foregroundDeletion") deletes its dependents and removes the finalizer once no dependent with
/// blockOwnerDeletion is left. Owners are always looked up in the store, never trusted from the graph.
/// LifecycleKubectlTests.CascadingDeletesFollowThePropagationPolicy.
/// </summary>
internal sealed class GarbageCollector : IAsyncDisposable
{
    private enum Work { AttemptToDelete, Orphan, DeletingDependents }

    private readonly record struct Item(Work Work, string Uid);

    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(1);

    private readonly ResourceHandler _handler;
    private readonly ILogger _log;
    private readonly OwnerGraph _graph = new();
    private readonly WorkQueue<Item> _queue = new();
    private volatile bool _started;

    public GarbageCollector(ResourceHandler handler, ILogger? log)
    {
        _handler = handler;
        _log = log ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        handler.Caches.OnStarted(cache =>
        {
            cache.Changed += e => OnChange(cache, e);
            cache.Listed += OnListed;
        });
    }

    /// <summary>Once every cache has listed: looks at what the graph holds, then follows changes.</summary>
    public void Start()
    {
        _started = true;
        foreach (var node in _graph.All())
        {
            if (node.Owners.Any(o => !_graph.Contains(o.Uid))) _queue.Add(new(Work.AttemptToDelete, node.Uid));
            if (node.Orphaning) _queue.Add(new(Work.Orphan, node.Uid));
            if (node.DeletingDependents) _queue.Add(new(Work.DeletingDependents, node.Uid));
        }
        _queue.Start(HandleAsync, (item, e) => Log.GarbageRetrying(_log, item.Work.ToString(), item.Uid, e.Message, e), Retry);
    }

    private ResourceInfo? ResourceOf(WatchCache cache) => _handler.Served.All.FirstOrDefault(r => r.KeyPrefix == cache.KeyPrefix);

    private static ObjectNode Node(ResourceInfo resource, ObjectMeta meta) =>
        new(meta.Uid, resource, meta.Namespace, meta.Name, meta.Owners, meta.Deleting,
            meta.Deleting && meta.Finalizers.Contains(DeleteOptions.ForegroundFinalizer),
            meta.Deleting && meta.Finalizers.Contains(DeleteOptions.OrphanFinalizer));

    private void OnListed(WatchCache cache)
    {
        if (ResourceOf(cache) is not { } resource) return;
        foreach (var obj in cache.Snapshot().Objects)
        {
            if (obj.Meta.Uid.Length > 0) Observe(Node(resource, obj.Meta));
        }
    }

    private void OnChange(WatchCache cache, CacheEvent e)
    {
        if (ResourceOf(cache) is not { } resource || e.Object.Meta.Uid.Length == 0) return;
        if (e.Type != StoreEventType.Deleted)
        {
            Observe(Node(resource, e.Object.Meta));
            return;
        }
        var gone = _graph.Remove(e.Object.Meta.Uid);
        if (!_started) return;
        // kube's processGraphChanges on a delete: its dependents may now be garbage; a foreground owner may be done
        foreach (var dependent in _graph.DependentsOf(e.Object.Meta.Uid)) _queue.Add(new(Work.AttemptToDelete, dependent.Uid));
        foreach (var owner in gone?.Owners ?? []) WakeForegroundOwner(owner.Uid);
    }

    private void Observe(ObjectNode node)
    {
        var old = _graph.Put(node);
        if (!_started) return;
        if (node.Owners.Any(o => _graph.Get(o.Uid) is not { } owner || owner.DeletingDependents)) _queue.Add(new(Work.AttemptToDelete, node.Uid));
        if (node.Orphaning) _queue.Add(new(Work.Orphan, node.Uid));
        if (node.DeletingDependents)
        {
            _queue.Add(new(Work.DeletingDependents, node.Uid));
            foreach (var dependent in _graph.DependentsOf(node.Uid)) _queue.Add(new(Work.AttemptToDelete, dependent.Uid));
        }
        // a dependent that changed (deleting, references dropped or unblocked) may release a foreground owner
        foreach (var owner in (old?.Owners ?? []).Concat(node.Owners)) WakeForegroundOwner(owner.Uid);
    }

    private void WakeForegroundOwner(string uid)
    {
        if (_graph.Get(uid) is { DeletingDependents: true }) _queue.Add(new(Work.DeletingDependents, uid));
    }

    private Task HandleAsync(Item item, CancellationToken cancellationToken) => item.Work switch
    {
        Work.AttemptToDelete => AttemptToDeleteAsync(item.Uid, cancellationToken),
        Work.Orphan => OrphanAsync(item.Uid, cancellationToken),
        _ => ProcessDeletingDependentsAsync(item.Uid, cancellationToken),
    };

    /// <summary>The object of <paramref name="node"/> as the store has it now, or null when it is gone or is another object.</summary>
    private async Task<(StoredObject Object, ObjectMeta Meta)?> LatestAsync(ObjectNode node, CancellationToken cancellationToken)
    {
        var stored = await _handler.Store.GetAsync(RequestTarget.KeyOf(node.Resource, node.Namespace, node.Name), null, cancellationToken)
            .ConfigureAwait(false);
        if (stored is null) return null;
        var meta = ObjectMeta.Of(stored.Object);
        return meta.Uid == node.Uid ? (stored, meta) : null;
    }

    private enum OwnerState { Solid, Dangling, WaitingForDependentsDeletion }

    /// <summary>Whether the owner named by <paramref name="owner"/> exists (same uid) and whether it waits for its dependents.</summary>
    private async Task<OwnerState> OwnerStateAsync(ObjectNode dependent, OwnerRef owner, CancellationToken cancellationToken)
    {
        if (_handler.Served.FindByKind(owner.ApiVersion, owner.Kind) is not { } resource) return OwnerState.Solid; // not served: leave it
        if (resource.Namespaced && dependent.Namespace is null) return OwnerState.Solid;
        var stored = await _handler.Store.GetAsync(RequestTarget.KeyOf(resource, resource.Namespaced ? dependent.Namespace : null, owner.Name), null,
            cancellationToken).ConfigureAwait(false);
        if (stored is null) return OwnerState.Dangling;
        var meta = ObjectMeta.Of(stored.Object);
        if (meta.Uid != owner.Uid) return OwnerState.Dangling;
        return meta.Deleting && meta.Finalizers.Contains(DeleteOptions.ForegroundFinalizer) ? OwnerState.WaitingForDependentsDeletion
            : OwnerState.Solid;
    }

    /// <summary>kube's attemptToDeleteItem.</summary>
    private async Task AttemptToDeleteAsync(string uid, CancellationToken cancellationToken)
    {
        if (_graph.Get(uid) is not { } node || await LatestAsync(node, cancellationToken).ConfigureAwait(false) is not { } latest) return;
        if (latest.Meta.Deleting)
        {
            if (latest.Meta.Finalizers.Contains(DeleteOptions.ForegroundFinalizer)) await ProcessDeletingDependentsAsync(uid, cancellationToken)
                .ConfigureAwait(false);
            return;
        }
        if (latest.Meta.Owners.Count == 0) return;
        var solid = new List<OwnerRef>();
        var released = new List<OwnerRef>();
        var waiting = false;
        foreach (var owner in latest.Meta.Owners)
        {
            switch (await OwnerStateAsync(node, owner, cancellationToken).ConfigureAwait(false))
            {
                case OwnerState.Solid: solid.Add(owner); break;
                case OwnerState.Dangling: released.Add(owner); break;
                default: released.Add(owner); waiting = true; break;
            }
        }
        if (solid.Count > 0)
        {
            if (released.Count == 0) return;
            // still owned: only the references to missing (or foreground-deleting) owners go
            var drop = released.Select(o => o.Uid).ToHashSet(StringComparer.Ordinal);
            await _handler.UpdateInternalAsync(node.Resource, node.Namespace, node.Name, uid, obj => RemoveOwners(obj, drop), cancellationToken)
                .ConfigureAwait(false);
            return;
        }
        string policy;
        if (waiting && _graph.DependentsOf(uid).Count > 0) policy = DeleteOptions.Foreground; // keep the owner waiting until these go too
        else if (latest.Meta.Finalizers.Contains(DeleteOptions.OrphanFinalizer)) policy = DeleteOptions.Orphan;
        else if (latest.Meta.Finalizers.Contains(DeleteOptions.ForegroundFinalizer)) policy = DeleteOptions.Foreground;
        else policy = DeleteOptions.Background;
        Log.GarbageDeleting(_log, node.Resource.Resource, node.Namespace ?? "", node.Name, policy);
        await DeleteAsync(node, new DeleteOptions(policy, null, null, uid, ResourceHandler.RevisionText(latest.Object.ModRevision), false),
            cancellationToken)
            .ConfigureAwait(false);
    }

    private async Task DeleteAsync(ObjectNode node, DeleteOptions options, CancellationToken cancellationToken)
    {
        try
        {
            await _handler.DeleteObjectAsync(node.Resource, node.Namespace, node.Name, options, cancellationToken).ConfigureAwait(false);
        }
        catch (ApiError e) when (e.Code == 404)
        {
        }
        catch (ApiError e) when (e.Code == 409)
        {
            _queue.AddAfter(new(Work.AttemptToDelete, node.Uid), TimeSpan.Zero); // it changed: look again
        }
    }

    /// <summary>kube's attemptToOrphan: every dependent loses its reference to the owner, then the owner its "orphan" finalizer.</summary>
    private async Task OrphanAsync(string uid, CancellationToken cancellationToken)
    {
        if (_graph.Get(uid) is not { } owner || await LatestAsync(owner, cancellationToken).ConfigureAwait(false) is not { } latest) return;
        if (!latest.Meta.Deleting || !latest.Meta.Finalizers.Contains(DeleteOptions.OrphanFinalizer)) return;
        var drop = new HashSet<string>(StringComparer.Ordinal) { uid };
        foreach (var dependent in _graph.DependentsOf(uid))
        {
            await _handler.UpdateInternalAsync(dependent.Resource, dependent.Namespace, dependent.Name, dependent.Uid, obj => RemoveOwners(obj, drop),
                cancellationToken).ConfigureAwait(false);
        }
        await RemoveFinalizerAsync(owner, DeleteOptions.OrphanFinalizer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>kube's processDeletingDependentsItem: the owner keeps its "foregroundDeletion" finalizer while a dependent
    /// blocks it (blockOwnerDeletion), each of which is deleted.</summary>
    private async Task ProcessDeletingDependentsAsync(string uid, CancellationToken cancellationToken)
    {
        if (_graph.Get(uid) is not { } owner || await LatestAsync(owner, cancellationToken).ConfigureAwait(false) is not { } latest) return;
        if (!latest.Meta.Deleting || !latest.Meta.Finalizers.Contains(DeleteOptions.ForegroundFinalizer)) return;
        var blocking = _graph.DependentsOf(uid).Where(d => d.Owners.Any(o => o.Uid == uid && o.BlockOwnerDeletion)).ToList();
        if (blocking.Count == 0)
        {
            await RemoveFinalizerAsync(owner, DeleteOptions.ForegroundFinalizer, cancellationToken).ConfigureAwait(false);
            return;
        }
        foreach (var dependent in blocking.Where(d => !d.Deleting)) _queue.Add(new(Work.AttemptToDelete, dependent.Uid));
    }

    private Task RemoveFinalizerAsync(ObjectNode node, string finalizer, CancellationToken cancellationToken) =>
        _handler.UpdateInternalAsync(node.Resource, node.Namespace, node.Name, node.Uid, obj =>
        {
            var finalizers = Lifecycle.Finalizers(obj);
            if (!finalizers.Remove(finalizer)) return null;
            Lifecycle.SetFinalizers(obj, finalizers);
            return obj;
        }, cancellationToken);

    private static JsonObject? RemoveOwners(JsonObject obj, HashSet<string> uids)
    {
        if (obj["metadata"]?["ownerReferences"] is not JsonArray references) return null;
        var kept = references.Where(r => !uids.Contains(ObjectDefaults.Str(r?["uid"]) ?? "")).Select(r => r!.DeepClone()).ToArray();
        if (kept.Length == references.Count) return null;
        var meta = (JsonObject)obj["metadata"]!;
        if (kept.Length == 0) meta.Remove("ownerReferences");
        else meta["ownerReferences"] = new JsonArray(kept);
        return obj;
    }

    public ValueTask DisposeAsync() => _queue.DisposeAsync();
}
