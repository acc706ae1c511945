using KvStore.Server;

namespace KvStore.Grpc;

/// <summary>
/// etcd's monitorLeader (api/v3rpc/interceptor.go): every election timeout it looks at the leader; after three looks
/// in a row without one, <see cref="LeaderLost"/> is cancelled, ending the streams that require a leader. One loop per
/// member, started by the first stream that asks. Test: RequireLeaderStreamTests.
/// </summary>
public sealed class LeaderMonitor(IEtcdServer server) : IDisposable
{
    /// <summary>etcd's maxNoLeaderCnt.</summary>
    private const int MaxNoLeaderCount = 3;

    private readonly CancellationTokenSource _stop = new();
    private CancellationTokenSource _lost = new();
    private int _started;

    /// <summary>Cancelled once the member has had no leader for three election timeouts; a new one while a leader is known.</summary>
    public CancellationToken LeaderLost
    {
        get
        {
            if (Interlocked.Exchange(ref _started, 1) == 0) _ = MonitorAsync(_stop.Token);
            CancellationTokenSource lost = Volatile.Read(ref _lost);
            if (lost.IsCancellationRequested && server.LeaderId != 0) lost = Renew(lost);
            return lost.Token;
        }
    }

    private async Task MonitorAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(server.Config.ElectionTimeoutMs));
        int noLeader = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                CancellationTokenSource lost = Volatile.Read(ref _lost);
                if (server.LeaderId != 0)
                {
                    noLeader = 0;
                    if (lost.IsCancellationRequested) Renew(lost);
                }
                else if (++noLeader >= MaxNoLeaderCount)
                {
                    await lost.CancelAsync().ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Replaces a cancelled source (never disposed: a token taken earlier stays valid).</summary>
    private CancellationTokenSource Renew(CancellationTokenSource cancelled)
    {
        var fresh = new CancellationTokenSource();
        CancellationTokenSource? seen = Interlocked.CompareExchange(ref _lost, fresh, cancelled);
        if (seen != cancelled) fresh.Dispose();
        return Volatile.Read(ref _lost);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
