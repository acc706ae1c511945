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
    /// One watcher: the responses of a watch created with <paramref name="request"/> until cancelled. A compacted start
    /// revision ends the stream with a response carrying compact_revision (and canceled). Every
    /// <see cref="WatchProgressRequests.Request"/> sends etcd's progress_request on the stream: the store answers with a
    /// response carrying no events and the current revision (watch id -1), after every event up to it (etcd 3.4 may answer
    /// ahead of events of that revision).
    /// </summary>
    IAsyncEnumerable<WatchResponse> WatchAsync(WatchCreateRequest request, WatchProgressRequests progress, CancellationToken cancellationToken);
}

/// <summary>Progress requests for one watch (clientv3's RequestProgress): the watch's stream sends one per call.</summary>
public sealed class WatchProgressRequests
{
    private readonly System.Threading.Channels.Channel<bool> _requests =
        System.Threading.Channels.Channel.CreateBounded<bool>(new System.Threading.Channels.BoundedChannelOptions(1)
        {
            FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite, // one pending request answers every asker
        });

    /// <summary>Asks the store for a progress notification (coalesced with one still unsent).</summary>
    public void Request() => _requests.Writer.TryWrite(true);

    internal System.Threading.Channels.ChannelReader<bool> Pending => _requests.Reader;
}
