using System.Runtime.CompilerServices;
using Etcdserverpb;
using Grpc.Core;

namespace KvStore.ApiServer.Storage;

/// <summary>
/// <see cref="IKeyValue"/> over one gRPC <see cref="CallInvoker"/>: the member's InProcessCallInvoker (no socket) or a
/// GrpcChannel to one endpoint. Errors are the server's <see cref="RpcException"/>s, unchanged.
/// </summary>
public sealed class CallInvokerKeyValue : IKeyValue
{
    private readonly KV.KVClient _kv;
    private readonly Lease.LeaseClient _lease;
    private readonly Watch.WatchClient _watch;
    private readonly IDisposable? _owned;

    /// <summary>clientv3.WithRequireLeader, as kube-apiserver watches: a member without a leader cancels the stream
    /// (after a few election timeouts) instead of leaving it silent, so the watch can move to another member.</summary>
    private static readonly Metadata RequireLeader = new() { { "hasleader", "true" } };

    /// <param name="invoker">The etcd v3 services to call.</param>
    /// <param name="owned">Disposed with this instance (the GrpcChannel behind <paramref name="invoker"/>), if any.</param>
    public CallInvokerKeyValue(CallInvoker invoker, IDisposable? owned = null)
    {
        ArgumentNullException.ThrowIfNull(invoker);
        _kv = new KV.KVClient(invoker);
        _lease = new Lease.LeaseClient(invoker);
        _watch = new Watch.WatchClient(invoker);
        _owned = owned;
    }

    public async Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken) =>
        await _kv.RangeAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);

    public async Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken) =>
        await _kv.TxnAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);

    public async Task<CompactionResponse> CompactAsync(CompactionRequest request, CancellationToken cancellationToken) =>
        await _kv.CompactAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);

    public async Task<LeaseGrantResponse> LeaseGrantAsync(LeaseGrantRequest request, CancellationToken cancellationToken) =>
        await _lease.LeaseGrantAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// One watch stream carrying one watcher. Every response is yielded (the created one too); the sequence ends after a
    /// canceled response (compacted start revision) or when the server ends the stream. Cancelling ends the call. The
    /// stream requires a leader (metadata hasleader=true); progress requests go on the same stream.
    /// </summary>
    public async IAsyncEnumerable<WatchResponse> WatchAsync(WatchCreateRequest request, WatchProgressRequests progress,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var call = _watch.Watch(RequireLeader, cancellationToken: stop.Token);
        await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = request }, cancellationToken).ConfigureAwait(false);
        // The request stream's only writer from here on: one progress_request per request (a stream takes one write at a time).
        Task sending = SendProgressRequestsAsync(call.RequestStream, progress, stop.Token);
        try
        {
            while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                WatchResponse response = call.ResponseStream.Current;
                yield return response;
                if (response.Canceled) yield break;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await sending.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private static async Task SendProgressRequestsAsync(IClientStreamWriter<WatchRequest> requests, WatchProgressRequests progress,
        CancellationToken cancellationToken)
    {
        var progressRequest = new WatchRequest { ProgressRequest = new WatchProgressRequest() };
        while (await progress.Pending.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (progress.Pending.TryRead(out _))
            {
                await requests.WriteAsync(progressRequest, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _owned?.Dispose();
        return ValueTask.CompletedTask;
    }
}
