using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Storage;

/// <summary>Why a store operation failed; Http maps each to kube-apiserver's Status (reason and code).</summary>
public enum StoreError
{
    /// <summary>404 NotFound.</summary>
    NotFound,
    /// <summary>409 AlreadyExists (create on an existing key).</summary>
    AlreadyExists,
    /// <summary>409 Conflict (resourceVersion precondition failed).</summary>
    Conflict,
    /// <summary>410 Expired/Gone (resourceVersion compacted: "too old resource version").</summary>
    Expired,
    /// <summary>504 Timeout / 500 (the etcd store did not answer or refused).</summary>
    Unavailable,
}

public sealed class StoreException(StoreError error, string message, Exception? inner = null) : Exception(message, inner)
{
    public StoreError Error { get; } = error;
}

/// <summary>
/// A stored object: its JSON with metadata.resourceVersion set to the key's mod_revision (resourceVersion is not
/// kept in the stored bytes, as kube-apiserver does not keep it).
/// </summary>
public sealed record StoredObject(string Key, JsonObject Object, long ModRevision);

/// <summary>A list page: items in key order, the revision it was read at, a continue token when more remain.</summary>
public sealed record ListPage(IReadOnlyList<StoredObject> Items, long Revision, string? Continue, long? RemainingItemCount);

public enum StoreEventType { Added, Modified, Deleted, Bookmark }

/// <summary>One watch event. Deleted carries the object as it was before deletion (at the delete's revision);
/// Bookmark carries only the revision (Object null).</summary>
public sealed record StoreEvent(StoreEventType Type, StoredObject? Object, long Revision);

/// <summary>
/// kube-apiserver's storage/etcd3 store over <see cref="IKeyValue"/>: JSON objects under /registry keys,
/// resourceVersion = mod_revision, create/update/delete as compare-and-swap transactions.
/// </summary>
public sealed class ObjectStore
{
    public ObjectStore(IKeyValue kv) => throw new NotImplementedException("store helper");

    /// <summary>The object at <paramref name="key"/>, or null. <paramref name="resourceVersion"/>: "" = linearizable read,
    /// "0" = any (serializable), a number = at least that revision.</summary>
    public Task<StoredObject?> GetAsync(string key, string? resourceVersion, CancellationToken cancellationToken) =>
        throw new NotImplementedException("store helper");

    /// <summary>
    /// Objects under <paramref name="prefix"/> (ending in "/") in key order. <paramref name="limit"/> 0 = all;
    /// <paramref name="continueToken"/> from an earlier page (kube's format: base64 JSON {"v":"meta.k8s.io/v1","rv":N,"start":"..."},
    /// the page after it is read at the same revision; compacted -> Expired). <paramref name="filter"/> (selectors) is applied
    /// before counting against the limit, reading further pages as kube-apiserver does.
    /// </summary>
    public Task<ListPage> ListAsync(string prefix, string? resourceVersion, long limit, string? continueToken,
        Func<JsonObject, bool>? filter, CancellationToken cancellationToken) =>
        throw new NotImplementedException("store helper");

    /// <summary>Creates when the key does not exist (txn mod_revision == 0), else AlreadyExists. <paramref name="ttlSeconds"/> &gt; 0
    /// attaches a lease of that TTL (events). resourceVersion in <paramref name="obj"/> is ignored.</summary>
    public Task<StoredObject> CreateAsync(string key, JsonObject obj, long ttlSeconds, CancellationToken cancellationToken) =>
        throw new NotImplementedException("store helper");

    /// <summary>
    /// Replaces the object when its mod_revision equals <paramref name="expectedRevision"/> (else Conflict; NotFound when gone).
    /// Writing identical bytes is a no-op that returns the current object (kube-apiserver does not bump the revision).
    /// </summary>
    public Task<StoredObject> UpdateAsync(string key, JsonObject obj, long expectedRevision, CancellationToken cancellationToken) =>
        throw new NotImplementedException("store helper");

    /// <summary>
    /// Read-modify-write with retries on conflict (kube's GuaranteedUpdate): <paramref name="update"/> gets the current object
    /// (a copy) and returns the new one; NotFound when absent (unless <paramref name="createIfMissing"/>, where update gets null).
    /// </summary>
    public Task<StoredObject> GuaranteedUpdateAsync(string key, Func<StoredObject?, JsonObject> update, bool createIfMissing,
        CancellationToken cancellationToken) =>
        throw new NotImplementedException("store helper");

    /// <summary>Deletes (txn on mod_revision when <paramref name="expectedRevision"/> is given, else Conflict); returns the
    /// object as it was. NotFound when absent.</summary>
    public Task<StoredObject> DeleteAsync(string key, long? expectedRevision, CancellationToken cancellationToken) =>
        throw new NotImplementedException("store helper");

    /// <summary>
    /// Events for <paramref name="keyOrPrefix"/> (a prefix when it ends in "/") after <paramref name="fromRevision"/> (exclusive),
    /// in revision order. fromRevision 0 = first the current objects as Added, then changes. Compacted -> throws Expired.
    /// Bookmarks (when <paramref name="bookmarks"/>) at least every minute and when the store reports progress.
    /// </summary>
    public IAsyncEnumerable<StoreEvent> WatchAsync(string keyOrPrefix, long fromRevision, bool bookmarks, CancellationToken cancellationToken) =>
        throw new NotImplementedException("store helper");
}
