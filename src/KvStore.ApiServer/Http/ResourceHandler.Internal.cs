using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Storage;

namespace KvStore.ApiServer.Http;

internal sealed partial class ResourceHandler
{
    /// <summary>
    /// An update by the facade's own controllers (what kube's controllers send as patches): <paramref name="change"/> gets
    /// a copy of the current object and returns it changed, or null to leave it as it is. With the rules of any update:
    /// removing the last finalizer of an object being deleted deletes it. False when the object is gone or has another uid.
    /// </summary>
    public async Task<bool> UpdateInternalAsync(ResourceInfo resource, string? ns, string name, string uid, Func<JsonObject, JsonObject?> change,
        CancellationToken cancellationToken)
    {
        var key = RequestTarget.KeyOf(resource, ns, name);
        try
        {
            var (stored, deleted) = await store.GuaranteedUpdateOrDeleteAsync(key, current =>
            {
                if (ObjectDefaults.Str(current!.Object["metadata"]?["uid"]) != uid) throw new StoreException(StoreError.NotFound,
                    $"key {key}: another object");
                var updated = change((JsonObject)current.Object.DeepClone());
                if (updated is null) return (current.Object, false);
                updated = ObjectDefaults.Normalized(updated);
                return (updated, Lifecycle.ShouldDeleteDuringUpdate(BuiltIn(resource, "namespaces"), updated, current.Object));
            }, createIfMissing: false, cancellationToken).ConfigureAwait(false);
            if (!deleted)
            {
                if (resource.Runtime is { } runtime) await runtime.WrittenAsync(stored.Object, cancellationToken).ConfigureAwait(false);
                return true;
            }
            await AfterDeleteAsync(resource, stored.Object, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (StoreException e) when (e.Error == StoreError.NotFound)
        {
            return false;
        }
    }

    /// <summary>The objects of <paramref name="resource"/> in namespace <paramref name="ns"/>, read from the store.</summary>
    public async Task<IReadOnlyList<StoredObject>> ListInternalAsync(ResourceInfo resource, string ns, CancellationToken cancellationToken)
    {
        var page = await store.ListAsync($"{resource.KeyPrefix}{ns}/", null, 0, null, null, cancellationToken).ConfigureAwait(false);
        return page.Items;
    }

    public DateTimeOffset Clock => Now;

    /// <summary>Every resource served now, built-in and registered at run time (custom resources).</summary>
    public ServedResources Served => served;
}
