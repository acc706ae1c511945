using System.Text.Json.Nodes;
using KvStore.ApiServer.Http;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Storage;
using KvStore.ApiServer.Storage.Cache;
using Microsoft.Extensions.Logging;

namespace KvStore.ApiServer.Controllers;

/// <summary>
/// kube-controller-manager's namespace controller, in the facade: a namespace being deleted is emptied (every namespaced
/// object deleted in the background, objects with finalizers left until they are removed), its status conditions say what
/// remains, and once nothing does the "kubernetes" finalizer leaves spec.finalizers, which deletes it. Woken by the
/// namespace's own change and by any change inside a terminating namespace; a namespace with content left is looked at
/// again after eight seconds as well (kube: estimate 15 s / 2 + 1). LifecycleKubectlTests.DeletingANamespaceTerminatesItUntilItsContentIsGone.
/// </summary>
internal sealed class NamespaceController : IAsyncDisposable
{
    private const string KubernetesFinalizer = "kubernetes";
    private static readonly TimeSpan RemainingRetry = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan ErrorRetry = TimeSpan.FromSeconds(1);

    private readonly ResourceHandler _handler;
    private readonly ILogger _log;
    private readonly ResourceInfo _namespaces = ResourceCatalog.Find("", "v1", "namespaces")!;
    private readonly WorkQueue<string> _queue = new();
    private readonly HashSet<string> _terminating = [];
    private readonly Lock _lock = new();

    public NamespaceController(ResourceHandler handler, ILogger? log)
    {
        _handler = handler;
        _log = log ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        handler.Caches.OnStarted(cache =>
        {
            cache.Changed += e => OnChange(cache, e);
            if (cache.KeyPrefix == _namespaces.KeyPrefix) cache.Listed += OnNamespacesListed;
        });
    }

    public void Start() => _queue.Start(SyncAsync, RemainingRetry, (ns, e) => Log.NamespaceSyncFailed(_log, ns, e.Message, e), ErrorRetry);

    private void OnNamespacesListed(WatchCache cache)
    {
        foreach (var ns in cache.Snapshot().Objects) Observe(ns);
    }

    private void OnChange(WatchCache cache, CacheEvent e)
    {
        if (cache.KeyPrefix == _namespaces.KeyPrefix)
        {
            if (e.Type == StoreEventType.Deleted)
            {
                lock (_lock) _terminating.Remove(e.Key[cache.KeyPrefix.Length..]);
                return;
            }
            Observe(e.Object);
            return;
        }
        var rest = e.Key.AsSpan(cache.KeyPrefix.Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0) return; // cluster-scoped
        var ns = rest[..slash].ToString();
        bool terminating;
        lock (_lock) terminating = _terminating.Contains(ns);
        if (terminating) _queue.Add(ns);
    }

    private void Observe(CachedObject ns)
    {
        if (!ns.Meta.Deleting) return;
        var name = ns.Meta.Name;
        lock (_lock) _terminating.Add(name);
        _queue.Add(name);
    }

    /// <summary>kube's namespacedResourcesDeleter.Delete; false when content remains.</summary>
    private async Task<bool> SyncAsync(string name, CancellationToken cancellationToken)
    {
        var current = await _handler.Store.GetAsync(RequestTarget.KeyOf(_namespaces, null, name), null, cancellationToken).ConfigureAwait(false);
        if (current is null || !Lifecycle.IsDeleting(current.Object)) return true;
        var uid = ObjectDefaults.Str(current.Object["metadata"]?["uid"])!;
        var finalized = current.Object["spec"]?["finalizers"] is not JsonArray { Count: > 0 };
        if (finalized && Lifecycle.Finalizers(current.Object).Count > 0) return true; // the garbage collector's finalizers are left
        var remaining = await DeleteContentAsync(name, uid, cancellationToken).ConfigureAwait(false);
        if (remaining) return false;
        if (finalized)
        {
            // kube creates every namespace with the "kubernetes" finalizer; one stored without it (by an older kvstore) is
            // deleted once empty, rather than left Terminating
            await _handler.DeleteObjectAsync(_namespaces, null, name, DeleteOptions.BackgroundPropagation with { Uid = uid }, cancellationToken)
                .ConfigureAwait(false);
            return true;
        }
        // Finalized by us: without other finalizers the update deletes the namespace.
        await _handler.UpdateInternalAsync(_namespaces, null, name, uid, ns =>
        {
            if (ns["spec"] is not JsonObject spec || spec["finalizers"] is not JsonArray finalizers) return null;
            var kept = finalizers.Select(ObjectDefaults.Str).Where(f => f != KubernetesFinalizer).Distinct().Order(StringComparer.Ordinal).ToList();
            spec["finalizers"] = new JsonArray(kept.Select(f => (JsonNode)JsonValue.Create(f)!).ToArray());
            return ns;
        }, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>kube's deleteAllContent: every deletable namespaced resource's objects deleted in the background, then what
    /// is left counted into the namespace's status conditions. True when something remains.</summary>
    private async Task<bool> DeleteContentAsync(string ns, string uid, CancellationToken cancellationToken)
    {
        var remainingByResource = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var remainingByFinalizer = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var failures = new List<string>();
        // every served resource, custom resources too; a resource served in several versions is one set of objects
        foreach (var resource in _handler.Served.All.Where(r => r.Namespaced && r.Verbs.Contains("delete")).DistinctBy(r => r.KeyPrefix))
        {
            try
            {
                foreach (var item in await _handler.ListInternalAsync(resource, ns, cancellationToken).ConfigureAwait(false))
                {
                    if (Lifecycle.IsDeleting(item.Object)) continue;
                    try
                    {
                        await _handler.DeleteObjectAsync(resource, ns, ObjectDefaults.Str(item.Object["metadata"]?["name"])!,
                            DeleteOptions.BackgroundPropagation,
                            cancellationToken).ConfigureAwait(false);
                    }
                    catch (ApiError e) when (e.Code is 404 or 409)
                    {
                    }
                }
                var left = await _handler.ListInternalAsync(resource, ns, cancellationToken).ConfigureAwait(false);
                if (left.Count == 0) continue;
                remainingByResource[$"{resource.Resource}.{resource.Group} has {left.Count} resource instances"] = left.Count;
                foreach (var finalizer in left.SelectMany(i => Lifecycle.Finalizers(i.Object)))
                {
                    remainingByFinalizer[finalizer] = remainingByFinalizer.GetValueOrDefault(finalizer) + 1;
                }
                if (!left.Any(i => Lifecycle.Finalizers(i.Object).Count > 0))
                {
                    failures.Add(
                        $"unexpected items still remain in namespace: {ns} for gvr: {resource.Group}/{resource.Version}, " +
                        $"Resource={resource.Resource}");
                }
            }
            catch (Exception e) when (e is StoreException or ApiError)
            {
                failures.Add(e.Message);
            }
        }
        var conditions = NamespaceConditions.Of(remainingByResource.Keys, remainingByFinalizer.Select(f =>
            $"{f.Key} in {f.Value} resource instances"), failures);
        await _handler.UpdateInternalAsync(_namespaces, null, ns, uid, obj => NamespaceConditions.Apply(obj, conditions, _handler.Clock),
            cancellationToken)
            .ConfigureAwait(false);
        return remainingByResource.Count > 0 || failures.Count > 0;
    }

    public ValueTask DisposeAsync() => _queue.DisposeAsync();
}
