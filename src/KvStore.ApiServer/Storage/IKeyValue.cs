using Etcdserverpb;

namespace KvStore.ApiServer.Storage;

/// <summary>
/// The only thing the facade needs of an etcd v3 store (kube-apiserver's storage/etcd3 uses the same five):
/// range, txn, watch, lease grant, compact. Two implementations: over the member's own services in-process, and
/// over gRPC to any etcd v3 endpoint list (kvstore or real etcd).
/// </summary>
public interface IKeyValue : IAsyncDisposable
{
    Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken);

    Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken);

    Task<CompactionResponse> CompactAsync(CompactionRequest request, CancellationToken cancellationToken);

    Task<LeaseGrantResponse> LeaseGrantAsync(LeaseGrantRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// One watcher: the responses of a watch created with <paramref name="request"/> until cancelled. A compacted
    /// start revision ends the stream with a response carrying compact_revision (and canceled).
    /// </summary>
    IAsyncEnumerable<WatchResponse> WatchAsync(WatchCreateRequest request, CancellationToken cancellationToken);
}
