using System.Security.Cryptography;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Storage;

namespace KvStore.ApiServer.Http;

/// <summary>
/// One key per allocated value under a prefix (as kube 1.31+'s IPAddress objects for ClusterIPs): taking a value is the
/// store's create transaction, so two requests racing for one see AlreadyExists; releasing deletes the key. The keys are no
/// served resource. Held by KubectlImperativeTests (ClusterIPs and node ports).
/// </summary>
internal sealed class KeyAllocator(ObjectStore store, string prefix, string? kind = null, string? apiVersion = null)
{
    /// <summary>Takes <paramref name="value"/> for the service <paramref name="service"/>; false when it is taken.</summary>
    public async Task<bool> TryTakeAsync(string value, JsonObject service, CancellationToken cancellationToken)
    {
        var owner = new JsonObject();
        if (kind is not null)
        {
            owner["kind"] = kind;
            owner["apiVersion"] = apiVersion;
        }
        owner["metadata"] = new JsonObject { ["name"] = value };
        owner["spec"] = new JsonObject
        {
            ["parentRef"] = new JsonObject
            {
                ["group"] = "", ["resource"] = "services",
                ["namespace"] = ObjectDefaults.Str(service["metadata"]?["namespace"]), ["name"] = ObjectDefaults.Str(service["metadata"]?["name"])
                    ?? "",
            },
        };
        try
        {
            await store.CreateAsync(prefix + value, owner, 0, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (StoreException e) when (e.Error == StoreError.AlreadyExists)
        {
            return false;
        }
    }

    public async Task ReleaseAsync(string value, CancellationToken cancellationToken)
    {
        try
        {
            await store.DeleteAsync(prefix + value, null, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreException e) when (e.Error == StoreError.NotFound)
        {
        }
    }

    /// <summary>The indexes of a range of <paramref name="count"/> values to try for a dynamic pick: the upper band from a
    /// random point, then the lower band of <paramref name="lowBand"/> values (kube keeps it for requested values; index 0
    /// only when <paramref name="includeFirst"/>).</summary>
    public static IEnumerable<long> Candidates(long count, long lowBand, bool includeFirst)
    {
        if (lowBand >= count) lowBand = includeFirst ? 0 : 1;
        var dynamicSize = count - lowBand;
        var start = RandomNumberGenerator.GetInt32((int)Math.Min(dynamicSize, int.MaxValue));
        for (long i = 0; i < dynamicSize; i++) yield return lowBand + (start + i) % dynamicSize;
        for (long i = includeFirst ? 0 : 1; i < lowBand; i++) yield return i;
    }
}
