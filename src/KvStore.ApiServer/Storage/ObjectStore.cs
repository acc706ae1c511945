using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

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
    /// <summary>400 BadRequest (an invalid continue token or resourceVersion).</summary>
    BadRequest,
    /// <summary>504 Timeout "Too large resource version" (kube's ResourceVersionTooLarge: the store or cache is not there yet).</summary>
    TooLarge,
    /// <summary>429 TooManyRequests "storage is (re)initializing" (a watch cache before its first list).</summary>
    Initializing,
}

public sealed class StoreException(StoreError error, string message, Exception? inner = null) : Exception(message, inner)
{
    public StoreError Error { get; } = error;

    /// <summary>Expired on a paged list whose continue token was compacted: kube's token to continue at the latest
    /// revision (the Status carries it in metadata.continue).</summary>
    public string? Continue { get; init; }
}

/// <summary>
/// A stored object: its JSON with metadata.resourceVersion set to the key's mod_revision (resourceVersion is not
/// kept in the stored bytes, as kube-apiserver does not keep it).
/// </summary>
public sealed record StoredObject(string Key, JsonObject Object, long ModRevision);

/// <summary>A list page: items in key order, the revision it was read at, a continue token when more remain.</summary>
public sealed record ListPage(IReadOnlyList<StoredObject> Items, long Revision, string? Continue, long? RemainingItemCount);

/// <summary>What a watch event says (kube's watch.EventType): Deleted carries the object as it was before deletion, at the
/// delete's revision; Bookmark only a revision.</summary>
public enum StoreEventType { Added, Modified, Deleted, Bookmark }

/// <summary>
/// kube-apiserver's storage/etcd3 store over <see cref="IKeyValue"/>: JSON objects under /registry keys,
/// resourceVersion = mod_revision, create/update/delete as compare-and-swap transactions.
/// </summary>
public sealed partial class ObjectStore
{
    private readonly IKeyValue _kv;
    private readonly LeaseManager _leases;

    public ObjectStore(IKeyValue kv)
    {
        ArgumentNullException.ThrowIfNull(kv);
        _kv = kv;
        _leases = new LeaseManager(kv);
    }

    /// <summary>The object at <paramref name="key"/>, or null. <paramref name="resourceVersion"/>: "" = linearizable read,
    /// "0" = any (serializable), a number = at least that revision.</summary>
    public async Task<StoredObject?> GetAsync(string key, string? resourceVersion, CancellationToken cancellationToken)
    {
        long minimum = ParseResourceVersion(resourceVersion);
        RangeResponse range = await RangeAsync(new RangeRequest { Key = Bytes(key), Serializable = resourceVersion == "0" }, cancellationToken)
            .ConfigureAwait(false);
        if (minimum > 0) EnsureMinimumRevision(minimum, range.Header.Revision);
        return range.Kvs.Count == 0 ? null : Decode(range.Kvs[0]);
    }

    /// <summary>Creates when the key does not exist (txn mod_revision == 0), else AlreadyExists. <paramref name="ttlSeconds"/> &gt; 0
    /// attaches a lease of that TTL (events). resourceVersion in <paramref name="obj"/> is ignored.</summary>
    public async Task<StoredObject> CreateAsync(string key, JsonObject obj, long ttlSeconds, CancellationToken cancellationToken)
    {
        ByteString data = Encode(obj);
        long lease = ttlSeconds > 0 ? await Call(() => _leases.GetLeaseAsync(ttlSeconds, cancellationToken)).ConfigureAwait(false) : 0;
        TxnResponse txn = await TxnAsync(NotExists(key), Put(key, data, lease), null, cancellationToken).ConfigureAwait(false);
        if (!txn.Succeeded) throw new StoreException(StoreError.AlreadyExists, $"key {key} already exists");
        return Decode(key, data, txn.Header.Revision);
    }

    /// <summary>
    /// Replaces the object when its mod_revision equals <paramref name="expectedRevision"/> (else Conflict; NotFound when gone).
    /// Writing identical bytes is a no-op that returns the current object (kube-apiserver does not bump the revision).
    /// </summary>
    public async Task<StoredObject> UpdateAsync(string key, JsonObject obj, long expectedRevision, CancellationToken cancellationToken)
    {
        ByteString data = Encode(obj);
        RangeResponse current = await RangeAsync(new RangeRequest { Key = Bytes(key) }, cancellationToken).ConfigureAwait(false);
        if (current.Kvs.Count == 0) throw NotFound(key);
        Mvccpb.KeyValue kv = current.Kvs[0];
        if (kv.ModRevision != expectedRevision) throw Conflict(key, expectedRevision, kv.ModRevision);
        if (kv.Value.Equals(data)) return Decode(kv);
        TxnResponse txn = await TxnAsync(ModRevisionIs(key, expectedRevision), Put(key, data, kv.Lease == 0 ? 0 : -1), Get(key), cancellationToken)
            .ConfigureAwait(false);
        if (!txn.Succeeded)
        {
            RangeResponse now = txn.Responses[0].ResponseRange;
            throw now.Kvs.Count == 0 ? NotFound(key) : Conflict(key, expectedRevision, now.Kvs[0].ModRevision);
        }
        return Decode(key, data, txn.Header.Revision);
    }

    /// <summary>
    /// Read-modify-write with retries on conflict (kube's GuaranteedUpdate): <paramref name="update"/> gets the current object
    /// (a copy) and returns the new one; NotFound when absent (unless <paramref name="createIfMissing"/>, where update gets null).
    /// Exceptions thrown by <paramref name="update"/> end the loop unchanged.
    /// </summary>
    public async Task<StoredObject> GuaranteedUpdateAsync(string key, Func<StoredObject?, JsonObject> update, bool createIfMissing,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        var (stored, _) = await GuaranteedUpdateOrDeleteAsync(key, current => (update(current), false), createIfMissing, cancellationToken)
            .ConfigureAwait(false);
        return stored;
    }

    /// <summary>
    /// As <see cref="GuaranteedUpdateAsync"/>, and <paramref name="update"/> may answer Delete instead (kube's update that
    /// empties the finalizers of an object being deleted): the key is then deleted if still at the revision the decision
    /// was made on, and the result is the object as it was, at the delete's revision.
    /// </summary>
    public async Task<(StoredObject Object, bool Deleted)> GuaranteedUpdateOrDeleteAsync(string key,
        Func<StoredObject?, (JsonObject Object, bool Delete)> update, bool createIfMissing, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        RangeResponse current = await RangeAsync(new RangeRequest { Key = Bytes(key) }, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Mvccpb.KeyValue? kv = current.Kvs.Count == 0 ? null : current.Kvs[0];
            if (kv is null && !createIfMissing) throw NotFound(key);
            var (updated, delete) = update(kv is null ? null : Decode(kv));
            TxnResponse txn;
            if (delete && kv is not null)
            {
                var remove = new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Bytes(key), PrevKv = true } };
                txn = await TxnAsync(ModRevisionIs(key, kv.ModRevision), remove, Get(key), cancellationToken).ConfigureAwait(false);
                if (txn.Succeeded) return (Decode(key, kv.Value, txn.Header.Revision), true);
                current = txn.Responses[0].ResponseRange;
                continue;
            }
            ByteString data = Encode(updated);
            if (kv is not null && kv.Value.Equals(data)) return (Decode(kv), false);
            txn = kv is null
                ? await TxnAsync(NotExists(key), Put(key, data, 0), Get(key), cancellationToken).ConfigureAwait(false)
                : await TxnAsync(ModRevisionIs(key, kv.ModRevision), Put(key, data, kv.Lease == 0 ? 0 : -1), Get(key), cancellationToken)
                    .ConfigureAwait(false);
            if (txn.Succeeded) return (Decode(key, data, txn.Header.Revision), false);
            // Lost the race: go again from the state the failed txn read (kube's GuaranteedUpdate does the same).
            current = txn.Responses[0].ResponseRange;
        }
    }

    /// <summary>Deletes (txn on mod_revision when <paramref name="expectedRevision"/> is given, else Conflict); returns the
    /// object as it was, with resourceVersion = the deletion's revision (as kube-apiserver returns it). NotFound when absent.</summary>
    public async Task<StoredObject> DeleteAsync(string key, long? expectedRevision, CancellationToken cancellationToken)
    {
        var delete = new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Bytes(key), PrevKv = true } };
        TxnResponse txn = await TxnAsync(expectedRevision is long rev ? ModRevisionIs(key, rev) : null, delete, Get(key), cancellationToken)
            .ConfigureAwait(false);
        if (!txn.Succeeded)
        {
            RangeResponse now = txn.Responses[0].ResponseRange;
            throw now.Kvs.Count == 0 ? NotFound(key) : Conflict(key, expectedRevision!.Value, now.Kvs[0].ModRevision);
        }
        DeleteRangeResponse deleted = txn.Responses[0].ResponseDeleteRange;
        if (deleted.PrevKvs.Count == 0) throw NotFound(key);
        return Decode(key, deleted.PrevKvs[0].Value, txn.Header.Revision);
    }

    // ---- encoding: resourceVersion lives in etcd's mod_revision, never in the stored bytes ----

    internal static ByteString Bytes(string s) => ByteString.CopyFromUtf8(s);

    /// <summary>The bytes stored for <paramref name="obj"/>: its JSON without metadata.resourceVersion and selfLink
    /// (kube's versioner.PrepareObjectForStorage).</summary>
    internal static ByteString Encode(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var copy = (JsonObject)obj.DeepClone();
        if (copy["metadata"] is JsonObject metadata)
        {
            metadata.Remove("resourceVersion");
            metadata.Remove("selfLink");
        }
        return ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(copy));
    }

    internal static StoredObject Decode(Mvccpb.KeyValue kv) => Decode(kv.Key.ToStringUtf8(), kv.Value, kv.ModRevision);

    /// <summary>The object in <paramref name="data"/> with metadata.resourceVersion = <paramref name="revision"/>.</summary>
    internal static StoredObject Decode(string key, ByteString data, long revision)
    {
        JsonObject obj;
        try
        {
            obj = JsonNode.Parse(data.Span) as JsonObject ?? throw new JsonException("not a JSON object");
        }
        catch (JsonException e)
        {
            throw new StoreException(StoreError.Unavailable, $"unable to decode the object stored at {key}: {e.Message}", e);
        }
        if (obj["metadata"] is not JsonObject metadata)
        {
            metadata = new JsonObject();
            obj["metadata"] = metadata;
        }
        metadata["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture);
        return new StoredObject(key, obj, revision);
    }

    // ---- resourceVersion parameters ----

    /// <summary>"" and null = 0 (latest); otherwise a non-negative integer, else BadRequest as kube words it.</summary>
    internal static long ParseResourceVersion(string? resourceVersion)
    {
        if (string.IsNullOrEmpty(resourceVersion)) return 0;
        if (long.TryParse(resourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out long rv)) return rv;
        throw new StoreException(StoreError.BadRequest, $"invalid resource version: {resourceVersion}");
    }

    /// <summary>kube's validateMinimumResourceVersion: reading at an older revision than asked for is a 504 "Too large resource version".</summary>
    private static void EnsureMinimumRevision(long minimum, long actual)
    {
        if (actual < minimum)
        {
            throw new StoreException(StoreError.TooLarge, $"Too large resource version: {minimum}, current: {actual}");
        }
    }

    // ---- txn building blocks ----

    private static Compare NotExists(string key) => ModRevisionIs(key, 0);

    private static Compare ModRevisionIs(string key, long revision) =>
        new() { Key = Bytes(key), Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = revision };

    /// <summary>A put; <paramref name="lease"/> -1 keeps the key's lease (ignore_lease), 0 none.</summary>
    private static RequestOp Put(string key, ByteString data, long lease) =>
        new() { RequestPut = lease < 0 ? new PutRequest { Key = Bytes(key), Value = data, IgnoreLease = true }
            : new PutRequest { Key = Bytes(key), Value = data, Lease = lease } };

    private static RequestOp Get(string key) => new() { RequestRange = new RangeRequest { Key = Bytes(key) } };

    private Task<TxnResponse> TxnAsync(Compare? compare, RequestOp success, RequestOp? failure, CancellationToken cancellationToken)
    {
        var txn = new TxnRequest();
        if (compare is not null) txn.Compare.Add(compare);
        txn.Success.Add(success);
        if (failure is not null) txn.Failure.Add(failure);
        return Call(() => _kv.TxnAsync(txn, cancellationToken));
    }

    private Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken) =>
        Call(() => _kv.RangeAsync(request, cancellationToken));

    // ---- errors: the store's answers become StoreErrors once, here ----

    internal static bool IsCompacted(RpcException e) =>
        e.StatusCode == StatusCode.OutOfRange && e.Status.Detail.Contains("compacted", StringComparison.Ordinal);

    /// <summary>Runs a call to the store; an RpcException becomes Expired (compacted) or Unavailable with the store's message.</summary>
    private static async Task<T> Call<T>(Func<Task<T>> call, string expired = "The resourceVersion for the provided request is too old.")
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException e) when (IsCompacted(e))
        {
            throw new StoreException(StoreError.Expired, expired, e);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.OutOfRange && e.Status.Detail.Contains("future revision", StringComparison.Ordinal))
        {
            throw new StoreException(StoreError.TooLarge, "Too large resource version", e);
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
        {
            throw new StoreException(StoreError.Unavailable, e.Status.Detail, e);
        }
    }

    private static StoreException NotFound(string key) => new(StoreError.NotFound, $"key {key} not found");

    private static StoreException Conflict(string key, long expected, long actual) =>
        new(StoreError.Conflict, $"key {key}: resourceVersion {expected} does not match the current {actual}");
}
