using System.Text.Json.Nodes;
using KvStore.ApiServer.Controllers;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Storage;
using Microsoft.Extensions.Logging;

namespace KvStore.ApiServer.CustomResources;

/// <summary>
/// What kube-apiserver's apiextensions controllers do for one apiserver: keeps the CRDs in the store and the served
/// resources in step. A CRD whose names are accepted is Established and its served versions are registered in
/// <see cref="ServedResources"/> under the CRD's name (using its accepted names); a deleted CRD's resources stop being
/// served. It lists the CRDs and follows their watch cache, so a CRD written through another apiserver on the same store
/// is served here too (and survives restarts); writes through this apiserver are reconciled at once (<see cref="CrdKind"/>).
/// One reconcile at a time. Held by
/// CustomResourceRestartTests.TwoApiserversOverRealEtcdServeTheCrdAcrossARestartAndBothStopWhenItIsDeleted.
/// </summary>
internal sealed class CrdController : IAsyncDisposable
{
    /// <summary>The owner under which the CRD resource itself is registered (not a CRD name: those are plural.group).</summary>
    private const string ApiExtensionsOwner = "apiextensions.k8s.io/customresourcedefinitions";

    /// <summary>The work item that lists every CRD again (a CRD name is never empty).</summary>
    private const string All = "";
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(1);

    private readonly Http.ResourceHandler _handler;
    private readonly ObjectStore _store;
    private readonly ServedResources _served;
    private readonly CrdFinalizer _finalizer;
    private readonly TimeProvider _clock;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, Crd> _known = new(StringComparer.Ordinal);

    /// <summary>What each CRD's registered resources were built from (spec and accepted names), to register only on change.</summary>
    private readonly Dictionary<string, string> _servedFrom = new(StringComparer.Ordinal);
    private readonly WorkQueue<string> _queue = new();
    private bool _following;
    private bool _started;

    public CrdController(Http.ResourceHandler handler, TimeProvider clock, ILogger log)
    {
        (_handler, _store, _served, _clock, _log) = (handler, handler.Store, handler.Served, clock, log);
        Resource = new ResourceInfo("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false,
            "customresourcedefinition", ["crd", "crds"], ["api-extensions"])
        {
            Subresources = ["status"],
            StoragePrefix = "apiextensions.k8s.io/customresourcedefinitions",
            Runtime = new CrdKind(this),
        };
        _served.Register(ApiExtensionsOwner, [Resource]);
        _finalizer = new CrdFinalizer(handler, Resource, log);
    }

    /// <summary>apiextensions.k8s.io/v1 customresourcedefinitions (cluster-scoped, short names crd and crds).</summary>
    public ResourceInfo Resource { get; }

    /// <summary>Serves every stored CRD, then follows the CRD resource's watch cache (as kube's controllers follow their
    /// informer) until disposed: each change is reconciled, a relist lists them all again. Safe to call again after a failure.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_following)
        {
            // followed before the first list, so that no change between the two is missed
            var cache = _handler.CacheFor(Resource);
            cache.Changed += e => _queue.Add(e.Key[cache.KeyPrefix.Length..]);
            cache.Listed += _ => _queue.Add(All);
            _following = true;
        }
        await SyncAsync(cancellationToken).ConfigureAwait(false);
        if (_started) return;
        _started = true;
        _queue.Start(SyncAsync, (name, e) => Log.CrdSyncFailed(_log, name, e.Message, e), Retry);
        _finalizer.Start();
    }

    /// <summary>One CRD as the store has it now (gone: forgotten), or all of them for <see cref="All"/>.</summary>
    private async Task SyncAsync(string name, CancellationToken cancellationToken)
    {
        if (name == All)
        {
            await SyncAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        if (await _store.GetAsync(RequestTargetKey(name), null, cancellationToken).ConfigureAwait(false) is { } current)
            await ReconcileAsync(current.Object, cancellationToken).ConfigureAwait(false);
        else
            await ForgetAsync(name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lists the CRDs and reconciles each; forgets those gone.</summary>
    private async Task SyncAsync(CancellationToken cancellationToken)
    {
        var page = await _store.ListAsync(Resource.KeyPrefix, null, 0, null, null, cancellationToken).ConfigureAwait(false);
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in page.Items)
        {
            present.Add(Crd.Read(item.Object).Name);
            await ReconcileAsync(item.Object, cancellationToken).ConfigureAwait(false);
        }
        List<string> gone;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            gone = _known.Keys.Where(name => !present.Contains(name)).ToList();
        }
        finally
        {
            _gate.Release();
        }
        foreach (var name in gone)
            await ForgetAsync(name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Brings one CRD's status (accepted names, NamesAccepted and Established) up to date in the store and serves its
    /// versions once established; one being deleted goes to the <see cref="CrdFinalizer"/> (and is served, taking no new
    /// objects, until it is gone).
    /// </summary>
    public async Task ReconcileAsync(JsonObject stored, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var crd = Crd.Read(stored);
            var outcome = CrdNaming.Decide(crd, _known.Values, stored["status"] as JsonObject, _clock.GetUtcNow());
            var deleting = Http.Lifecycle.IsDeleting(stored);
            if (!deleting && !StatusHolds(stored, outcome))
            {
                try
                {
                    var updated = await _store.GuaranteedUpdateAsync(RequestTargetKey(crd.Name), current =>
                    {
                        var next = (JsonObject)current!.Object.DeepClone();
                        var fresh = CrdNaming.Decide(Crd.Read(next), _known.Values, next["status"] as JsonObject, _clock.GetUtcNow());
                        WriteStatus(next, fresh);
                        return next;
                    }, createIfMissing: false, cancellationToken).ConfigureAwait(false);
                    stored = updated.Object;
                    crd = Crd.Read(stored);
                }
                catch (StoreException e) when (e.Error == StoreError.NotFound)
                {
                    return;
                }
            }
            _known[crd.Name] = crd;
            var from = stored["spec"]?.ToJsonString() + "|" + crd.AcceptedNames?.ToJson().ToJsonString() + "|" + crd.Established + "|"
                + crd.Terminating;
            if (_servedFrom.GetValueOrDefault(crd.Name) != from)
            {
                _servedFrom[crd.Name] = from;
                Serve(crd);
            }
            if (deleting && Http.Lifecycle.Finalizers(stored).Contains(CrdFinalizer.Name)) _finalizer.Enqueue(crd.Name);
        }
        finally
        {
            _gate.Release();
        }
    }

    private string RequestTargetKey(string name) => Resource.KeyPrefix + name;

    private static bool StatusHolds(JsonObject stored, CrdNaming.Outcome outcome)
    {
        var probe = (JsonObject)stored.DeepClone();
        WriteStatus(probe, outcome);
        return JsonNode.DeepEquals(probe["status"], stored["status"]);
    }

    private static void WriteStatus(JsonObject crd, CrdNaming.Outcome outcome)
    {
        if (crd["status"] is not JsonObject status)
            crd["status"] = status = [];
        status["acceptedNames"] = outcome.Accepted.ToJson();
        var conditions = (status["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(c => Crd.Str(c, "type") is not ("NamesAccepted" or "Established"))
            .Select(c => (JsonNode)c.DeepClone()).ToList();
        status["conditions"] = new JsonArray([outcome.NamesAccepted, outcome.Established, .. conditions]);
        if (status["storedVersions"] is null && Crd.Read(crd).StorageVersion is { } storage)
            status["storedVersions"] = new JsonArray(storage.Name);
    }

    /// <summary>Registers the CRD's served versions under its accepted names when established; otherwise serves none.</summary>
    private void Serve(Crd crd)
    {
        if (!crd.Established || crd.AcceptedNames is not { Plural.Length: > 0 } names)
        {
            _served.Unregister(crd.Name);
            return;
        }
        var resources = crd.Versions.Where(v => v.Served).Select(v => new ResourceInfo(crd.Group, v.Name, names.Plural, names.Kind,
            crd.Namespaced, names.Singular, names.ShortNames, names.Categories)
        {
            ListKind = names.ListKind.Length > 0 ? names.ListKind : names.Kind + "List",
            StoragePrefix = $"{crd.Group}/{names.Plural}",
            Subresources = [.. v.Status ? ["status"] : Array.Empty<string>(), .. v.Scale is not null ? ["scale"] : Array.Empty<string>()],
            Runtime = new CustomResourceKind(crd, v, names),
        }).ToList();
        _served.Register(crd.Name, resources);
        Log.ServingCustomResources(_log, crd.Name, string.Join(",", resources.Select(r => r.Version)));
    }

    /// <summary>A deleted CRD: its resources are no longer served; CRDs of its group that wanted its names get them.</summary>
    public async Task ForgetAsync(string name, CancellationToken cancellationToken)
    {
        List<Crd> waiting;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _servedFrom.Remove(name);
            _served.Unregister(name);
            if (!_known.Remove(name, out var gone))
                return;
            waiting = _known.Values.Where(c => c.Group == gone.Group &&
                c.AcceptedNames?.ToJson().ToJsonString() != c.Names.ToJson().ToJsonString()).ToList();
        }
        finally
        {
            _gate.Release();
        }
        foreach (var crd in waiting)
        {
            if (await _store.GetAsync(RequestTargetKey(crd.Name), null, cancellationToken).ConfigureAwait(false) is { } current)
                await ReconcileAsync(current.Object, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _queue.DisposeAsync().ConfigureAwait(false);
        await _finalizer.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
