using System.Text.Json.Nodes;
using Etcdserverpb;
using Google.Protobuf;

namespace KvStore.ApiServer.Storage;

public sealed partial class ObjectStore
{
    /// <summary>The most keys one range of a filtered list asks for (kube's maxLimit).</summary>
    private const long MaxFetch = 10000;

    private const string ListExpired = "The resourceVersion for the provided list is too old.";

    private const string InconsistentContinue =
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, " +
        "or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an " +
        "inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in " +
            "the list.";

    /// <summary>
    /// Objects under <paramref name="prefix"/> (ending in "/") in key order. <paramref name="limit"/> 0 = all;
    /// <paramref name="continueToken"/> from an earlier page (kube's format: base64 JSON {"v":"meta.k8s.io/v1","rv":N,"start":"..."},
    /// the page after it is read at the same revision; compacted -> Expired). <paramref name="filter"/> (selectors) is applied
    /// before counting against the limit, reading further pages as kube-apiserver does.
    /// </summary>
    /// <remarks>
    /// resourceVersion as kube's etcd3 GetList (legacy, no resourceVersionMatch): "" = latest (linearizable), "0" = latest
    /// serializable, N with a limit = exactly at N (Expired when compacted), N without = at least N (else 504 "Too large
    /// resource version"); with a continue token only "" or "0" (else BadRequest). A compacted continue token gives Expired
    /// whose <see cref="StoreException.Continue"/> continues at the latest revision. RemainingItemCount only without a filter.
    /// </remarks>
    public Task<ListPage> ListAsync(string prefix, string? resourceVersion, long limit, string? continueToken,
        Func<JsonObject, bool>? filter, CancellationToken cancellationToken) =>
        ListAsync(prefix, resourceVersion, exact: false, limit, continueToken, filter, cancellationToken);

    /// <summary>As above; <paramref name="exact"/> (resourceVersionMatch=Exact) reads at exactly the given resourceVersion.</summary>
    public async Task<ListPage> ListAsync(string prefix, string? resourceVersion, bool exact, long limit, string? continueToken,
        Func<JsonObject, bool>? filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (!prefix.EndsWith('/')) prefix += "/";
        bool paging = limit > 0;
        string key = prefix;
        long withRev = 0;
        long minimum = 0;
        bool serializable = false;
        bool continuing = !string.IsNullOrEmpty(continueToken);
        if (continuing)
        {
            (key, long rv) = ContinueToken.Decode(continueToken!, prefix);
            if (!string.IsNullOrEmpty(resourceVersion) && resourceVersion != "0")
            {
                throw new StoreException(StoreError.BadRequest, "specifying resource version is not allowed when using continue");
            }
            if (rv > 0) withRev = rv; // rv < 0: continue at the latest revision
        }
        else
        {
            long rv = ParseResourceVersion(resourceVersion);
            serializable = resourceVersion == "0";
            if (rv > 0 && (paging || exact)) withRev = rv;
            else minimum = rv;
        }

        ByteString rangeEnd = PrefixEnd(prefix);
        long fetch = limit;
        var items = new List<StoredObject>();
        ByteString? lastKey = null;
        bool hasMore;
        RangeResponse range;
        while (true)
        {
            var request = new RangeRequest
            {
                Key = Bytes(key), RangeEnd = rangeEnd, Revision = withRev, Limit = paging ? fetch : 0,
                Serializable = serializable && withRev == 0,
            };
            try
            {
                range = await Call(() => _kv.RangeAsync(request, cancellationToken), ListExpired).ConfigureAwait(false);
            }
            catch (StoreException e) when (e.Error == StoreError.Expired && continuing)
            {
                // kube's handleCompactedErrorForPaging: hand out a token that continues at the latest revision.
                throw new StoreException(StoreError.Expired, InconsistentContinue, e.InnerException) { Continue =
                    ContinueToken.Encode(key, prefix, -1) };
            }
            hasMore = range.More;
            if (range.Kvs.Count == 0 && range.More)
            {
                throw new StoreException(StoreError.Unavailable, "no results were found, but etcd indicated there were more values remaining");
            }
            foreach (Mvccpb.KeyValue kv in range.Kvs)
            {
                if (paging && items.Count >= limit)
                {
                    hasMore = true;
                    break;
                }
                lastKey = kv.Key;
                StoredObject item = Decode(kv);
                if (filter is null || filter(item.Object)) items.Add(item);
            }
            if (withRev == 0) withRev = range.Header.Revision; // every further page at the same revision
            if (!hasMore || !paging || items.Count >= limit) break;
            // The filter dropped objects: read on, doubling the page as kube does.
            fetch = Math.Min(fetch * 2, MaxFetch);
            key = lastKey!.ToStringUtf8() + "\0";
        }
        if (minimum > 0) EnsureMinimumRevision(minimum, withRev);

        string? token = null;
        long? remaining = null;
        if (hasMore && lastKey is not null)
        {
            token = ContinueToken.Encode(lastKey.ToStringUtf8() + "\0", prefix, withRev);
            if (filter is null) remaining = Math.Max(0, range.Count - limit);
        }
        return new ListPage(items, withRev, token, remaining);
    }

    /// <summary>The store's current revision, read linearizably (kube's GetCurrentResourceVersionFromStorage).</summary>
    public async Task<long> CurrentRevisionAsync(string prefix, CancellationToken cancellationToken)
    {
        var request = new RangeRequest { Key = Bytes(prefix), RangeEnd = PrefixEnd(prefix), CountOnly = true };
        RangeResponse range = await Call(() => _kv.RangeAsync(request, cancellationToken)).ConfigureAwait(false);
        return range.Header.Revision;
    }

    /// <summary>The range end covering every key that starts with <paramref name="prefix"/> (clientv3.GetPrefixRangeEnd).</summary>
    internal static ByteString PrefixEnd(string prefix)
    {
        byte[] end = System.Text.Encoding.UTF8.GetBytes(prefix);
        for (int i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] < 0xff)
            {
                end[i]++;
                return ByteString.CopyFrom(end, 0, i + 1);
            }
        }
        return ByteString.CopyFrom(0); // no upper bound: every key from prefix on
    }
}
