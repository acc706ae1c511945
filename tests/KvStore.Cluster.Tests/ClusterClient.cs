using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace KvStore.Cluster.Tests;

/// <summary>
/// A client given every member's endpoint, as clientv3 with several endpoints: it sticks to one member and moves
/// to the next when that one is down, paused, leaderless or refuses (etcd's retriable errors). A call that gets a
/// response is acknowledged; one that fails everywhere until its time is up is not (its outcome is unknown).
/// </summary>
internal sealed class ClusterClient(IReadOnlyList<ClusterMember> members, int firstMember)
{
    /// <summary>How long one attempt on one member may take; more than etcd's request timeout (5 s + 2 elections).</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    private int _current = firstMember % members.Count;

    /// <summary>Attempts that failed over to another member, for the test's report.</summary>
    public int Failovers { get; private set; }

    public ClusterMember Current => members[_current];

    /// <summary>Runs <paramref name="call"/> on members in turn until one answers or <paramref name="total"/> passes.</summary>
    public async Task<T> CallAsync<T>(Func<ClusterMember, DateTime, Task<T>> call, TimeSpan total, CancellationToken cancellationToken = default)
    {
        var end = DateTime.UtcNow + total;
        while (true)
        {
            var member = members[_current];
            var attemptEnd = DateTime.UtcNow + AttemptTimeout;
            try
            {
                return await call(member, attemptEnd < end ? attemptEnd : end);
            }
            catch (RpcException e) when (IsRetriable(e) && !cancellationToken.IsCancellationRequested)
            {
                if (DateTime.UtcNow >= end)
                {
                    throw;
                }
                _current = (_current + 1) % members.Count;
                Failovers++;
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    public Task<PutResponse> PutAsync(string key, string value, long lease = 0, TimeSpan? total = null, CancellationToken cancellationToken = default) =>
        CallAsync((m, deadline) => m.Kv.PutAsync(
            new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value), Lease = lease },
            deadline: deadline, cancellationToken: cancellationToken).ResponseAsync, total ?? TimeSpan.FromSeconds(60), cancellationToken);

    public Task<RangeResponse> RangeAsync(RangeRequest request, TimeSpan? total = null) =>
        CallAsync((m, deadline) => m.Kv.RangeAsync(request, deadline: deadline).ResponseAsync, total ?? TimeSpan.FromSeconds(60));

    public Task<RangeResponse> GetAsync(string key) => RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key) });

    public Task<RangeResponse> GetPrefixAsync(string prefix, bool serializable = false) =>
        RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(prefix), RangeEnd = PrefixEnd(prefix), Serializable = serializable });

    public Task<DeleteRangeResponse> DeleteAsync(string key) =>
        CallAsync((m, deadline) => m.Kv.DeleteRangeAsync(new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(key) }, deadline: deadline).ResponseAsync,
            TimeSpan.FromSeconds(60));

    public Task<TxnResponse> TxnAsync(TxnRequest request) =>
        CallAsync((m, deadline) => m.Kv.TxnAsync(request, deadline: deadline).ResponseAsync, TimeSpan.FromSeconds(60));

    /// <summary>etcd's retriable outcomes: the member is unreachable, has no leader, timed out, or is not the leader.</summary>
    public static bool IsRetriable(RpcException e) => e.StatusCode switch
    {
        StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled or StatusCode.Unknown or StatusCode.Internal => true,
        StatusCode.FailedPrecondition => e.Status.Detail.Contains("not leader", StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>The range end of a prefix (the key with its last byte plus one), as etcdctl --prefix.</summary>
    public static ByteString PrefixEnd(string prefix)
    {
        byte[] end = System.Text.Encoding.UTF8.GetBytes(prefix);
        end[^1]++;
        return ByteString.CopyFrom(end);
    }
}
