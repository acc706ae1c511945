using System.Runtime.CompilerServices;
using Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;

namespace KvStore.ApiServer.Storage;

/// <summary>
/// <see cref="IKeyValue"/> over an etcd endpoint list (kube-apiserver's --etcd-servers): one GrpcChannel per endpoint,
/// calls go to the current one; an Unavailable answer ("no leader", "leader changed", connection refused) moves to the
/// next endpoint and the call is retried there, as clientv3's balancer and retry interceptor do. A watch that breaks is
/// re-created on the next endpoint from the revision after the last one it delivered, so its consumer sees no gap.
/// </summary>
/// <remarks>
/// Txns are retried too: every write the facade sends is a compare-and-swap on mod_revision (or version), so a txn that
/// was applied before its answer was lost fails its compare on the retry instead of applying twice.
/// </remarks>
public sealed class GrpcKeyValue : IKeyValue
{
    /// <summary>How long a call keeps trying other endpoints (a leader election takes a few election timeouts).</summary>
    internal TimeSpan RetryBudget { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The pause after every endpoint has failed once, before the next round.</summary>
    private static readonly TimeSpan RoundBackoff = TimeSpan.FromMilliseconds(300);

    private readonly GrpcChannel[] _channels;
    private readonly CallInvokerKeyValue[] _members;
    private int _current;

    /// <param name="endpoints">http://host:port or https://host:port URLs (at least one).</param>
    /// <param name="tls">The CA and client certificate for https endpoints (--etcd-cafile/--etcd-certfile/--etcd-keyfile);
    /// null: the system's roots and no client certificate.</param>
    public GrpcKeyValue(IEnumerable<Uri> endpoints, EtcdClientTls? tls = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        _channels = endpoints.Select(e => GrpcChannel.ForAddress(e, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = null,
            HttpHandler = e.Scheme == Uri.UriSchemeHttps ? tls?.CreateHandler() : null,
        })).ToArray();
        if (_channels.Length == 0) throw new ArgumentException("at least one etcd endpoint is required", nameof(endpoints));
        _members = _channels.Select(c => new CallInvokerKeyValue(c.CreateCallInvoker())).ToArray();
        Endpoints = endpoints.ToArray();
    }

    /// <summary>Parses a comma-separated list as --etcd-servers takes it (http://a:2379,http://b:2379).</summary>
    public static GrpcKeyValue Parse(string endpoints) =>
        new(endpoints.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(e => new Uri(e)));

    public IReadOnlyList<Uri> Endpoints { get; }

    /// <summary>The endpoint calls currently go to.</summary>
    public Uri CurrentEndpoint => Endpoints[Volatile.Read(ref _current)];

    /// <summary>Whether clientv3 would try another endpoint: the member is unreachable or has no leader.</summary>
    internal static bool IsRetryable(RpcException e) =>
        e.StatusCode == StatusCode.Unavailable
        || e.Status.Detail.Contains("no leader", StringComparison.Ordinal)
        || e.Status.Detail.Contains("leader changed", StringComparison.Ordinal);

    /// <summary>Moves to the endpoint after <paramref name="failed"/> unless another caller already moved on.</summary>
    private void Advance(int failed) => Interlocked.CompareExchange(ref _current, (failed + 1) % _members.Length, failed);

    private async Task<T> CallAsync<T>(Func<IKeyValue, Task<T>> call, CancellationToken cancellationToken)
    {
        DateTime giveUp = DateTime.UtcNow + RetryBudget;
        for (int attempt = 1; ; attempt++)
        {
            int index = Volatile.Read(ref _current);
            try
            {
                return await call(_members[index]).ConfigureAwait(false);
            }
            catch (RpcException e) when (IsRetryable(e) && DateTime.UtcNow < giveUp && !cancellationToken.IsCancellationRequested)
            {
                Advance(index);
                if (attempt % _members.Length == 0) await Task.Delay(RoundBackoff, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken) =>
        CallAsync(m => m.RangeAsync(request, cancellationToken), cancellationToken);

    public Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken) =>
        CallAsync(m => m.TxnAsync(request, cancellationToken), cancellationToken);

    public Task<CompactionResponse> CompactAsync(CompactionRequest request, CancellationToken cancellationToken) =>
        CallAsync(m => m.CompactAsync(request, cancellationToken), cancellationToken);

    public Task<LeaseGrantResponse> LeaseGrantAsync(LeaseGrantRequest request, CancellationToken cancellationToken) =>
        CallAsync(m => m.LeaseGrantAsync(request, cancellationToken), cancellationToken);

    /// <summary>
    /// The watcher's responses; when its stream breaks (the member went away, or ended the stream), the watcher is
    /// re-created on the next endpoint from the revision after the last event or progress notification delivered. The
    /// created response is yielded once, for the first watcher only.
    /// </summary>
    public async IAsyncEnumerable<WatchResponse> WatchAsync(WatchCreateRequest request, WatchProgressRequests progress,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long next = request.StartRevision;
        bool created = false;
        int failures = 0;
        DateTime? failingSince = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            int index = Volatile.Read(ref _current);
            WatchCreateRequest create = request.Clone();
            create.StartRevision = next;
            RpcException? broken = null;
            await using (IAsyncEnumerator<WatchResponse> responses = _members[index].WatchAsync(create, progress, cancellationToken)
                .GetAsyncEnumerator(cancellationToken))
            {
                while (true)
                {
                    WatchResponse response;
                    try
                    {
                        if (!await responses.MoveNextAsync().ConfigureAwait(false)) break;
                        response = responses.Current;
                    }
                    catch (RpcException e) when (IsRetryable(e) && !cancellationToken.IsCancellationRequested)
                    {
                        broken = e;
                        break;
                    }
                    failures = 0;
                    failingSince = null;
                    if (response.Events.Count > 0)
                    {
                        next = response.Events[^1].Kv.ModRevision + 1;
                    }
                    else if (response.Created && next == 0)
                    {
                        next = response.Header.Revision + 1;
                    }
                    else if (!response.Created && !response.Canceled && response.Header is not null)
                    {
                        next = Math.Max(next, response.Header.Revision + 1); // progress notification
                    }
                    if (response.Created)
                    {
                        if (created) continue;
                        created = true;
                    }
                    yield return response;
                    if (response.Canceled) yield break;
                }
            }
            if (cancellationToken.IsCancellationRequested) yield break;
            // The stream broke or the member ended it: same watcher on the next endpoint, from where it stopped.
            failingSince ??= DateTime.UtcNow;
            if (DateTime.UtcNow - failingSince > RetryBudget)
            {
                throw broken ?? new RpcException(new Status(StatusCode.Unavailable, "etcd watch stream ended on every endpoint"));
            }
            Advance(index);
            if (++failures % _members.Length == 0) await Task.Delay(RoundBackoff, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (CallInvokerKeyValue member in _members) await member.DisposeAsync().ConfigureAwait(false);
        foreach (GrpcChannel channel in _channels) channel.Dispose();
    }
}
