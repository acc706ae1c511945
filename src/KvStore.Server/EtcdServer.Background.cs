using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using Etcdserverpb;
using KvStore.Mvcc;
using KvStore.Server.Transport;
using Microsoft.Extensions.Logging;

namespace KvStore.Server;

public sealed partial class EtcdServer
{
    private readonly Lock _readLock = new();
    private TaskCompletionSource<ServerError>? _nextReadRound;
    private bool _readRoundRunning;
    private Task[] _loops = [];

    private void StartBackgroundLoops()
    {
        CancellationToken token = _stopping.Token;
        _loops =
        [
            Task.Run(() => ProposeLoopAsync(token), token),
            Task.Run(() => _waiters.ExpireLoopAsync(token), token),
            Task.Run(() => LessorLoopAsync(token), token),
            Task.Run(() => new AutoCompactor(this, _logger).RunAsync(token), token),
            Task.Run(() => ReconcileLoopAsync(token), token),
            Task.Run(() => ForwardLoopAsync(token), token),
            Task.Run(() => MetadataLoopAsync(token), token),
            Task.Run(() => VoterStickinessLoopAsync(token), token),
            Task.Run(() => DropClosedConnectionsLoopAsync(token), token),
        ];
    }

    /// <summary>
    /// Grants (pre-)votes from the base election timeout on, as etcd's voters do (<see cref="VoterStickiness"/>):
    /// looks every tenth of the election timeout, so at most that much later.
    /// </summary>
    private async Task VoterStickinessLoopAsync(CancellationToken token)
    {
        if (!VoterStickiness.Supported(_cluster))
        {
            Log.VoterStickinessUnsupported(_logger);
            return;
        }
        var baseTimeout = TimeSpan.FromMilliseconds(Config.ElectionTimeoutMs);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(5, Config.ElectionTimeoutMs / 10)));
        while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
        {
            if (!IsLeader && VoterStickiness.Release(_cluster, baseTimeout)) Log.VotesGranted(_logger, baseTimeout.TotalMilliseconds);
        }
    }

    /// <summary>
    /// Drops DotNext's connections that the other member closed (it died or restarted) while they were idle, so the
    /// next request, a (pre-)vote most often, dials anew instead of failing on the dead one and counting as refused
    /// (<see cref="RaftDialer"/>). Looks every heartbeat.
    /// </summary>
    private async Task DropClosedConnectionsLoopAsync(CancellationToken token)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Clamp(Config.HeartbeatIntervalMs, 10, 100)));
        while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
        {
            foreach (EndPoint endpoint in _raftDialer.TakeClosedByPeer())
            {
                if (_cluster.Members.FirstOrDefault(m => m.IsRemote && m.EndPoint.Equals(endpoint)) is { } member)
                {
                    Log.ConnectionClosedByPeer(_logger, endpoint);
                    await member.CancelPendingRequestsAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private async Task StopBackgroundLoopsAsync()
    {
        _proposals.Writer.TryComplete();
        _forwards.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Linearizable read barrier. Reads that arrive while a round is in flight share the next round, so one
    /// quorum confirmation serves many reads (etcd's linearizableReadLoop).
    /// </summary>
    public Task<ServerError> ReadIndexAsync(CancellationToken cancellationToken)
    {
        if (_disposed) return Task.FromResult(ServerError.Stopped);
        Task<ServerError> round;
        bool start = false;
        lock (_readLock)
        {
            _nextReadRound ??= new TaskCompletionSource<ServerError>(TaskCreationOptions.RunContinuationsAsynchronously);
            round = _nextReadRound.Task;
            if (!_readRoundRunning)
            {
                _readRoundRunning = true;
                start = true;
            }
        }
        if (start) _ = RunReadRoundsAsync();
        return round.WaitAsync(cancellationToken);
    }

    private async Task RunReadRoundsAsync()
    {
        while (true)
        {
            TaskCompletionSource<ServerError>? round;
            lock (_readLock)
            {
                round = _nextReadRound;
                _nextReadRound = null;
                if (round is null)
                {
                    _readRoundRunning = false;
                    return;
                }
            }
            round.TrySetResult(await ReadBarrierAsync().ConfigureAwait(false));
        }
    }

    /// <summary>
    /// One read round: on the leader its own barrier, on a follower the leader's (EtcdServer.Forward.cs). A round
    /// that met a leader change is tried again until the request timeout (reads change nothing), as etcd's read
    /// loop does; a member that never reaches a leader answers "request timed out".
    /// </summary>
    private async Task<ServerError> ReadBarrierAsync()
    {
        DateTime deadline = DateTime.UtcNow + RequestTimeout;
        while (true)
        {
            ServerError error = IsLeader ? await LocalReadBarrierAsync(deadline).ConfigureAwait(false) : await ForwardedReadBarrierAsync(deadline).ConfigureAwait(false);
            if (error is not (ServerError.NoLeader or ServerError.LeaderChanged)) return error;
            if (DateTime.UtcNow >= deadline) return ServerError.Timeout;
            try
            {
                await _leaderWatch.WaitAsync(RetryInterval, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return ServerError.Stopped;
            }
        }
    }

    /// <summary>
    /// The leader's read barrier: a heartbeat round a quorum answers (DotNext's strong barrier), then local apply
    /// of everything the log held before it, then a confirmation round (<see cref="ConfirmLeadershipAsync"/>). Bound
    /// to this leadership: if the member steps down meanwhile (a round without a quorum deposes it) the read fails
    /// instead of trusting another leader's unconfirmed index.
    /// </summary>
    private async Task<ServerError> LocalReadBarrierAsync(DateTime deadline)
    {
        CancellationToken leadership = _cluster.LeadershipToken;
        long term = RaftTerm;
        if (leadership.IsCancellationRequested) return ServerError.NoLeader;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, leadership);
        TimeSpan left = deadline - DateTime.UtcNow;
        timeout.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        try
        {
            await _cluster.ApplyReadBarrierAsync(ReadBarrierType.Strong, timeout.Token).ConfigureAwait(false);
            await _stateMachine.Restored.WaitAsync(timeout.Token).ConfigureAwait(false);
            // Everything committed before the read is applied; now prove this member still led after the read arrived.
            if (await ConfirmLeadershipAsync(term, deadline).ConfigureAwait(false) && RaftTerm == term && !leadership.IsCancellationRequested)
            {
                return ServerError.None;
            }
            Log.LeadershipNotConfirmed(_logger, term);
            return DateTime.UtcNow >= deadline ? ServerError.Timeout : ServerError.LeaderChanged;
        }
        catch (Exception e) when (e is NotLeaderException or QuorumUnreachableException)
        {
            return ServerError.NoLeader;
        }
        catch (OperationCanceledException)
        {
            if (_stopping.IsCancellationRequested) return ServerError.Stopped;
            return leadership.IsCancellationRequested ? ServerError.LeaderChanged : ServerError.Timeout;
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            return ServerError.Stopped;
        }
    }

    /// <summary>The lessor: on the leader only, revokes expired leases through the log (once, cluster-wide).</summary>
    private async Task LessorLoopAsync(CancellationToken token)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
        {
            if (!IsLeader) continue;
            foreach (long id in _store.ExpiredLeases(Environment.TickCount64, max: 500))
            {
                var revoke = new InternalRaftRequest { LeaseRevoke = new LeaseRevokeRequest { ID = id } };
                RequestAuth.Token = RootToken(); // etcd's authStore.WithRoot: the lessor revokes as root
                ProposeResult r = await ProposeAsync(revoke, token).ConfigureAwait(false);
                if (r.Error != ServerError.None) Log.RevokeFailed(_logger, id, r.Error);
            }
        }
    }

    public Task<(LeaseKeepAliveResponse? Response, MvccError MvccError, ServerError Error)> LeaseRenewAsync(long id, CancellationToken cancellationToken) =>
        IsLeader ? LocalLeaseRenew(id) : ForwardLeaseRenewAsync(id, cancellationToken);

    public Task<(LeaseTimeToLiveResponse? Response, MvccError MvccError, ServerError Error)> LeaseTimeToLiveAsync(LeaseTimeToLiveRequest request, CancellationToken cancellationToken) =>
        IsLeader ? LocalLeaseTimeToLive(request) : ForwardLeaseTimeToLiveAsync(request, cancellationToken);

    private Task<(LeaseKeepAliveResponse?, MvccError, ServerError)> LocalLeaseRenew(long id)
    {
        MvccResult<LeaseKeepAliveResponse> r = _store.LeaseRenew(id, Environment.TickCount64);
        if (r.Response is { } resp) resp.Header = Header(_store.CurrentRevision);
        return Task.FromResult((r.Response, r.Error, ServerError.None));
    }

    private Task<(LeaseTimeToLiveResponse?, MvccError, ServerError)> LocalLeaseTimeToLive(LeaseTimeToLiveRequest request)
    {
        MvccResult<LeaseTimeToLiveResponse> r = _store.LeaseTimeToLive(request, Environment.TickCount64);
        if (r.Response is { } resp) resp.Header = Header(_store.CurrentRevision);
        return Task.FromResult((r.Response, r.Error, ServerError.None));
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "raft connection to {EndPoint} closed by the other member: the next request dials again")]
        public static partial void ConnectionClosedByPeer(ILogger logger, EndPoint endPoint);

        [LoggerMessage(Level = LogLevel.Debug, Message = "no word from a leader for {BaseTimeoutMs} ms: granting (pre-)votes")]
        public static partial void VotesGranted(ILogger logger, double baseTimeoutMs);

        [LoggerMessage(Level = LogLevel.Warning, Message = "this DotNext build has no last-heard-from-leader field: votes follow DotNext's own timeout")]
        public static partial void VoterStickinessUnsupported(ILogger logger);

        [LoggerMessage(Level = LogLevel.Information, Message = "read round: a majority did not confirm this member as leader of term {Term}; retrying")]
        public static partial void LeadershipNotConfirmed(ILogger logger, long term);

        [LoggerMessage(Level = LogLevel.Warning, Message = "revoking expired lease {LeaseId:x} failed: {Error}")]
        public static partial void RevokeFailed(ILogger logger, long leaseId, ServerError error);
    }
}
