using Etcdserverpb;
using Grpc.Core;
using KvStore.Mvcc;
using KvStore.Mvcc.Leases;
using KvStore.Server.Replication;
using Kvstorepb;
using Microsoft.Extensions.Logging;

namespace KvStore.Server.Leases;

/// <summary>
/// The member's side of the leases (etcd's etcdserver/server.go run loop and v3_server.go LeaseRenew): on the leader the
/// expiry loop that proposes the revokes of expired leases, keep-alive and time-to-live on its clock; a follower passes
/// those two to the leader. A new leader promotes the <see cref="Lessor"/> (every lease extended by its TTL), a follower
/// demotes it (no expiry). The lease table is the engine's lessor (<see cref="MvccStore.Lessor"/>).
/// </summary>
internal sealed partial class LeaseKeeper
{
    /// <summary>How often the leader looks for expired leases, and how many it revokes per look.</summary>
    private static readonly TimeSpan ExpiryInterval = TimeSpan.FromMilliseconds(500);
    private const int MaxRevokesPerLook = 500;

    private readonly Lessor _lessor;
    private readonly LeaderLink _link;
    private readonly Func<long, ResponseHeader> _header;
    private readonly Func<InternalRaftRequest, Caller, CancellationToken, Task<ProposeResult>> _propose;
    private readonly Func<Caller> _root;
    private readonly Func<CancellationToken, Task<ServerError>> _readBarrier;
    private readonly TimeSpan _requestTimeout;
    private readonly CancellationToken _stopping;
    private readonly ILogger _logger;

    /// <param name="lessor">The engine's lessor.</param>
    /// <param name="link">The way to the leader.</param>
    /// <param name="header">A response header at a revision.</param>
    /// <param name="propose">Proposes a command through the log (the revokes).</param>
    /// <param name="root">Root, as the revokes propose while auth is enabled (etcd's authStore.WithRoot).</param>
    /// <param name="readBarrier">A linearizable read round (everything committed before it applied here, the leader confirmed).</param>
    /// <param name="requestTimeout">etcd's request timeout.</param>
    /// <param name="stopping">Cancelled when the member stops.</param>
    /// <param name="logger">The member's logger.</param>
    public LeaseKeeper(Lessor lessor, LeaderLink link, Func<long, ResponseHeader> header,
        Func<InternalRaftRequest, Caller, CancellationToken, Task<ProposeResult>> propose, Func<Caller> root,
        Func<CancellationToken, Task<ServerError>> readBarrier, TimeSpan requestTimeout, CancellationToken stopping, ILogger logger)
    {
        _lessor = lessor;
        _link = link;
        _header = header;
        _propose = propose;
        _root = root;
        _readBarrier = readBarrier;
        _requestTimeout = requestTimeout;
        _stopping = stopping;
        _logger = logger;
    }

    /// <summary>At a leader change: a new leader extends every lease by its TTL (etcd's Promote), a follower demotes.</summary>
    public void OnLeaderChanged(bool leading)
    {
        if (leading) _lessor.Promote(Environment.TickCount64);
        else _lessor.Demote();
    }

    /// <summary>The expiry loop: on the leader only, revokes expired leases through the log (once, cluster-wide).</summary>
    public async Task RunAsync(CancellationToken token)
    {
        using var timer = new PeriodicTimer(ExpiryInterval);
        while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
        {
            if (!_link.IsLeader) continue;
            foreach (long id in _lessor.Expired(Environment.TickCount64, max: MaxRevokesPerLook))
            {
                var revoke = new InternalRaftRequest { LeaseRevoke = new LeaseRevokeRequest { ID = id } };
                // etcd's authStore.WithRoot: the lessor revokes as root
                ProposeResult r = await _propose(revoke, _root(), token).ConfigureAwait(false);
                if (r.Error != ServerError.None) Log.RevokeFailed(_logger, id, r.Error);
            }
        }
    }

    /// <summary>Keep-alive on the leader's clock: here when leading, else on the leader.</summary>
    public Task<(LeaseKeepAliveResponse? Response, MvccError MvccError, ServerError Error)> RenewAsync(long id,
        CancellationToken cancellationToken) =>
        ForwardAsync<LeaseKeepAliveResponse>(
            async (client, deadline, token) =>
            {
                LeaseRenewResult r = await client.LeaseRenewAsync(new LeaseKeepAliveRequest { ID = id }, _link.Headers, deadline: deadline,
                    cancellationToken: token).ConfigureAwait(false);
                return (r.Response, (MvccError)r.MvccError, (ServerError)r.ServerError);
            },
            token => LocalRenewAsync(id, token), cancellationToken);

    /// <summary>Time-to-live on the leader's clock: here when leading, else on the leader.</summary>
    public Task<(LeaseTimeToLiveResponse? Response, MvccError MvccError, ServerError Error)> TimeToLiveAsync(
        LeaseTimeToLiveRequest request, CancellationToken cancellationToken) =>
        ForwardAsync<LeaseTimeToLiveResponse>(
            async (client, deadline, token) =>
            {
                LeaseTimeToLiveResult r = await client.LeaseTimeToLiveAsync(request, _link.Headers, deadline: deadline, cancellationToken: token)
                    .ConfigureAwait(false);
                return (r.Response, (MvccError)r.MvccError, (ServerError)r.ServerError);
            },
            token => LocalTimeToLiveAsync(request, token), cancellationToken);

    // ---- leader side (the Forward service calls these) ----

    /// <summary>A follower's keep-alive, on this leader's clock; "not leader" otherwise.</summary>
    public async Task<LeaseRenewResult> LeaderRenewAsync(long id)
    {
        if (!_link.IsLeader) return new LeaseRenewResult { ServerError = (int)ServerError.NotLeader };
        var (response, mvccError, error) = await LocalRenewAsync(id, _stopping).ConfigureAwait(false);
        return new LeaseRenewResult { Response = response, MvccError = (int)mvccError, ServerError = (int)error };
    }

    /// <summary>A follower's time-to-live, on this leader's clock; "not leader" otherwise.</summary>
    public async Task<LeaseTimeToLiveResult> LeaderTimeToLiveAsync(LeaseTimeToLiveRequest request)
    {
        if (!_link.IsLeader) return new LeaseTimeToLiveResult { ServerError = (int)ServerError.NotLeader };
        var (response, mvccError, error) = await LocalTimeToLiveAsync(request, _stopping).ConfigureAwait(false);
        return new LeaseTimeToLiveResult { Response = response, MvccError = (int)mvccError, ServerError = (int)error };
    }

    /// <summary>
    /// A keep-alive on this leader, after a read round (etcd's LeaseRenew: ensureLeadership, then waitAppliedIndex): a
    /// majority still follows this member and its lessor holds every grant and revoke committed before the call. Without
    /// the round, a leader that was paused while another one revoked the lease, or a new leader that had not applied the
    /// grant yet, answered for a lease the cluster no longer (or already) had (the robustness runs' lease-resurrected).
    /// "Not leader" once another member leads: the caller then asks that one.
    /// </summary>
    private async Task<(LeaseKeepAliveResponse?, MvccError, ServerError)> LocalRenewAsync(long id, CancellationToken token)
    {
        if (await LeaderReadAsync(token).ConfigureAwait(false) is not ServerError.None and var error) return (null, MvccError.None, error);
        MvccResult<LeaseKeepAliveResponse> r = _lessor.Renew(id, Environment.TickCount64);
        if (r.Response is { } resp) resp.Header = _header(resp.Header.Revision);
        return (r.Response, r.Error, ServerError.None);
    }

    /// <summary>A time-to-live on this leader, after a read round as <see cref="LocalRenewAsync"/>.</summary>
    private async Task<(LeaseTimeToLiveResponse?, MvccError, ServerError)> LocalTimeToLiveAsync(LeaseTimeToLiveRequest request,
        CancellationToken token)
    {
        if (await LeaderReadAsync(token).ConfigureAwait(false) is not ServerError.None and var error) return (null, MvccError.None, error);
        MvccResult<LeaseTimeToLiveResponse> r = _lessor.TimeToLive(request, Environment.TickCount64);
        if (r.Response is { } resp) resp.Header = _header(resp.Header.Revision);
        return (r.Response, r.Error, ServerError.None);
    }

    /// <summary>A read round, then whether this member still leads (its lessor is the primary one).</summary>
    private async Task<ServerError> LeaderReadAsync(CancellationToken token)
    {
        ServerError error = await _readBarrier(token).ConfigureAwait(false);
        if (error != ServerError.None) return error;
        return _link.IsLeader ? ServerError.None : ServerError.NotLeader;
    }

    /// <summary>One lease call on the leader (or here, once this member leads), asked again of a new leader until the request timeout.</summary>
    private async Task<(T? Response, MvccError MvccError, ServerError Error)> ForwardAsync<T>(
        Func<Forward.ForwardClient, DateTime, CancellationToken, Task<(T?, MvccError, ServerError)>> call,
        Func<CancellationToken, Task<(T?, MvccError, ServerError)>> local, CancellationToken cancellationToken) where T : class
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping);
        CancellationToken token = linked.Token;
        DateTime deadline = DateTime.UtcNow + _requestTimeout;
        try
        {
            // Renew and time-to-live change nothing in the log: a retry after a lost answer is harmless.
            while (DateTime.UtcNow < deadline)
            {
                if (await _link.WaitForLeaderAsync(deadline, token).ConfigureAwait(false) is not { } leader) break;
                if (!leader.IsRemote)
                {
                    var mine = await local(token).ConfigureAwait(false);
                    if (mine.Item3 != ServerError.NotLeader) return mine;
                    await _link.Watch.WaitAsync(_link.RetryInterval, token).ConfigureAwait(false); // stepped down: ask the next leader
                    continue;
                }
                CancellationToken epoch = _link.Watch.Token;
                if (!ReferenceEquals(_link.Leader, leader)) continue;
                if (_link.Client(leader) is { } client)
                {
                    using var attempt = CancellationTokenSource.CreateLinkedTokenSource(token, epoch);
                    try
                    {
                        var result = await call(client, deadline, attempt.Token).ConfigureAwait(false);
                        if (result.Item3 != ServerError.NotLeader) return result;
                    }
                    catch (RpcException) when (!token.IsCancellationRequested && epoch.IsCancellationRequested)
                    {
                        continue; // the leader changed: ask the new one
                    }
                    catch (RpcException e) when (!token.IsCancellationRequested && e.StatusCode != StatusCode.DeadlineExceeded)
                    {
                        Log.LeaseForwardFailed(_logger, e.Status.StatusCode, e.Status.Detail);
                    }
                    catch (RpcException) when (!token.IsCancellationRequested)
                    {
                        break;
                    }
                }
                await _link.Watch.WaitAsync(_link.RetryInterval, token).ConfigureAwait(false);
            }
            return (null, MvccError.None, _link.Leader is null ? ServerError.NoLeader : ServerError.Timeout);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return (null, MvccError.None, ServerError.Stopped);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "revoking expired lease {LeaseId:x} failed: {Error}")]
        public static partial void RevokeFailed(ILogger logger, long leaseId, ServerError error);

        [LoggerMessage(Level = LogLevel.Debug, Message = "forwarding a lease call to the leader failed: {Code} {Detail}")]
        public static partial void LeaseForwardFailed(ILogger logger, StatusCode code, string detail);
    }
}
