using System.Text.Json.Nodes;
using KvStore.ApiServer.Controllers;
using KvStore.ApiServer.Http;
using KvStore.ApiServer.Resources;
using Microsoft.Extensions.Logging;

namespace KvStore.ApiServer.CustomResources;

/// <summary>
/// kube's CRD finalizer (apiextensions-apiserver's crdFinalizer): a CRD being deleted with the customresourcecleanup
/// finalizer has its custom resources deleted in every namespace (one with finalizers of its own stays until they are
/// removed), then loses the finalizer, which deletes it. Its Terminating condition says where it is:
/// InstanceDeletionInProgress while objects remain (looked at again every two seconds; kube polls every five),
/// InstanceDeletionCompleted, or NeverEstablished for a CRD that was never served. Its resources stay served meanwhile,
/// but take no new objects. CustomResourceKubectlTests.DeletingTheCrdTerminatesItUntilItsObjectsAreGone.
/// </summary>
internal sealed class CrdFinalizer : IAsyncDisposable
{
    public const string Name = "customresourcecleanup.apiextensions.k8s.io";

    private static readonly TimeSpan RemainingRetry = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ErrorRetry = TimeSpan.FromSeconds(1);

    private readonly ResourceHandler _handler;
    private readonly ResourceInfo _crds;
    private readonly ILogger _log;
    private readonly WorkQueue<string> _queue = new();

    public CrdFinalizer(ResourceHandler handler, ResourceInfo crds, ILogger log) => (_handler, _crds, _log) = (handler, crds, log);

    /// <summary>Looks at the CRD <paramref name="name"/> (once the worker runs).</summary>
    public void Enqueue(string name) => _queue.Add(name);

    public void Start() => _queue.Start(SyncAsync, RemainingRetry, (name, e) => Log.CrdFinalizerFailed(_log, name, e.Message, e), ErrorRetry);

    /// <summary>False while custom resources remain.</summary>
    private async Task<bool> SyncAsync(string name, CancellationToken cancellationToken)
    {
        var current = await _handler.Store.GetAsync(RequestTarget.KeyOf(_crds, null, name), null, cancellationToken).ConfigureAwait(false);
        if (current is null || !Lifecycle.IsDeleting(current.Object) || !Lifecycle.Finalizers(current.Object).Contains(Name)) return true;
        var crd = Crd.Read(current.Object);
        if (!crd.Established)
        {
            await SetTerminatingAsync(crd, "False", "NeverEstablished", "resource was never established", removeFinalizer: true, cancellationToken)
                .ConfigureAwait(false);
            return true;
        }
        if (_handler.Served.Of(name).FirstOrDefault() is not { } resource) return false; // not served here yet
        await SetTerminatingAsync(crd, "True", "InstanceDeletionInProgress", "CustomResource deletion is in progress", removeFinalizer: false,
            cancellationToken).ConfigureAwait(false);
        // every version shares the storage prefix: deleting through one deletes them all
        var page = await _handler.Store.ListAsync(resource.KeyPrefix, null, 0, null, null, cancellationToken).ConfigureAwait(false);
        foreach (var item in page.Items.Where(i => !Lifecycle.IsDeleting(i.Object)))
        {
            var meta = ObjectDefaults.Metadata(item.Object);
            try
            {
                await _handler.DeleteObjectAsync(resource, ObjectDefaults.Str(meta["namespace"]), ObjectDefaults.Str(meta["name"])!,
                    DeleteOptions.BackgroundPropagation, cancellationToken).ConfigureAwait(false);
            }
            catch (ApiError e) when (e.Code is 404 or 409)
            {
            }
        }
        var left = await _handler.Store.ListAsync(resource.KeyPrefix, null, 1, null, null, cancellationToken).ConfigureAwait(false);
        if (left.Items.Count > 0) return false;
        await SetTerminatingAsync(crd, "False", "InstanceDeletionCompleted", "removed all instances", removeFinalizer: true, cancellationToken)
            .ConfigureAwait(false);
        return true;
    }

    /// <summary>The Terminating condition, with the finalizer's removal in the same update when done (which deletes the CRD
    /// once no other finalizer is left).</summary>
    private Task SetTerminatingAsync(Crd crd, string status, string reason, string message, bool removeFinalizer,
        CancellationToken cancellationToken) =>
        _handler.UpdateInternalAsync(_crds, null, crd.Name, crd.Uid, obj =>
        {
            var changed = StatusConditions.Set(obj, "Terminating", status, reason, message, _handler.Clock);
            if (removeFinalizer) Lifecycle.SetFinalizers(obj, Lifecycle.Finalizers(obj).Where(f => f != Name).ToList());
            return changed || removeFinalizer ? obj : null;
        }, cancellationToken);

    public ValueTask DisposeAsync() => _queue.DisposeAsync();
}
