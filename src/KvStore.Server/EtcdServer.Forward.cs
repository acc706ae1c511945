using System.Net;
using System.Threading.Channels;
using DotNext.Net.Cluster.Consensus.Raft;
using Etcdserverpb;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using KvStore.Mvcc;
using Kvstorepb;
using Microsoft.Extensions.Logging;

namespace KvStore.Server;

/// <summary>
/// What a leader serves to its followers (the member-internal Forward service on the peer port calls it): the
/// leader half of etcd's follower forwarding (MsgProp, MsgReadIndex, the lease renew handler on the peer URL).
/// </summary>
public interface IForwardTarget
{
    /// <summary>Proposes the commands of a follower, each under its own request id; answers once each is applied here.</summary>
    Task<ForwardResults> ProposeForwardedAsync(RaftBatch batch, CancellationToken cancellationToken);

    /// <summary>A quorum-confirmed read index: this leader's applied index after a read barrier.</summary>
    Task<ReadIndexResponse> LeaderReadIndexAsync(CancellationToken cancellationToken);

    /// <summary>Keep-alive on this leader's lessor clock.</summary>
    Task<LeaseRenewResult> LeaderLeaseRenewAsync(long id, CancellationToken cancellationToken);

    /// <summary>Time-to-live on this leader's lessor clock.</summary>
    Task<LeaseTimeToLiveResult> LeaderLeaseTimeToLiveAsync(LeaseTimeToLiveRequest request, CancellationToken cancellationToken);

    /// <summary>Whether this member is in <paramref name="term"/> and follows <paramref name="leaderId"/> (a leader's read confirmation).</summary>
    ConfirmLeaderResponse ConfirmLeader(long term, ulong leaderId);
}

/// <summary>
/// Follower forwarding (etcd serves every request on every member): a follower batches its clients' proposals
/// and sends them to the leader's peer port (the Forward service beside Raft, under the peer TLS) with the request ids they
/// already carry; a batch is sent at most once, so a command is never applied twice. Linearizable reads on a
/// follower take a read index the leader confirmed with a quorum round, then wait for local apply. Lease
/// keep-alive and time-to-live run on the leader's lessor.
/// </summary>
public sealed partial class EtcdServer : IForwardTarget
{
    private static readonly TypeRegistry ResponseTypes = TypeRegistry.FromFiles(RpcReflection.Descriptor);

    private readonly Channel<InternalRaftRequest> _forwards =
        Channel.CreateUnbounded<InternalRaftRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _forwardsInFlight = new(MaxInFlightBatches);

    /// <summary>Metadata names on every forwarded call: the caller's cluster and member id (hex), checked by the Forward service.</summary>
    public const string ClusterIdHeader = "kvstore-cluster-id", MemberIdHeader = "kvstore-member-id";

    private Metadata PeerHeaders => new() { { ClusterIdHeader, ClusterId.ToString("x16") }, { MemberIdHeader, MemberId.ToString("x16") } };

    /// <summary>How often a follower tries a leader again when nothing wakes it sooner (a leader change does): a heartbeat.</summary>
    private TimeSpan RetryInterval => TimeSpan.FromMilliseconds(Math.Clamp(Config.HeartbeatIntervalMs, 10, 100));

    /// <summary>How long a follower waits for a leader before it answers "no leader": a little less than the request timeout.</summary>
    private TimeSpan LeaderWait => RequestTimeout - TimeSpan.FromMilliseconds(Math.Min(500, Config.ElectionTimeoutMs));

    // ---- follower side: proposals ----

    /// <summary>Takes the proposals queued while not leader and sends them to the leader, a batch per call, a few calls in flight.</summary>
    private async Task ForwardLoopAsync(CancellationToken token)
    {
        ChannelReader<InternalRaftRequest> reader = _forwards.Reader;
        while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
        {
            await _forwardsInFlight.WaitAsync(token).ConfigureAwait(false);
            var batch = new RaftBatch();
            int bytes = 0;
            while (batch.Requests.Count < RaftStateMachine.MaxBatch && bytes < MaxBatchBytes && reader.TryRead(out InternalRaftRequest? r))
            {
                batch.Requests.Add(r);
                bytes += r.CalculateSize();
            }
            _ = ForwardBatchAsync(batch, token);
        }
    }

    private async Task ForwardBatchAsync(RaftBatch batch, CancellationToken token)
    {
        try
        {
            DateTime leaderDeadline = DateTime.UtcNow + LeaderWait;
            while (true)
            {
                if (await WaitForLeaderAsync(leaderDeadline, token).ConfigureAwait(false) is not { } leader)
                {
                    _waiters.Fail(batch, ServerError.NoLeader);
                    return;
                }
                if (!leader.IsRemote)
                {
                    // Became leader before sending: nothing left this member, propose here.
                    foreach (InternalRaftRequest r in batch.Requests) _proposals.Writer.TryWrite(r);
                    return;
                }
                // The call is abandoned once this member follows another leader (or none), so a batch sent to a
                // leader that froze does not hold its in-flight slot until the request timeout
                // (LeaderChangeTests.FollowerWritesAndReadsGoToTheNewLeaderWhileTheOldOneIsPaused).
                CancellationToken epoch = _leaderWatch.Token;
                if (!ReferenceEquals(_cluster.Leader, leader)) continue;
                using var call = CancellationTokenSource.CreateLinkedTokenSource(token, epoch);
                Forward.ForwardClient client = ForwardClient(leader);
                ForwardResults results;
                try
                {
                    results = await client.ProposeAsync(batch, PeerHeaders, deadline: DateTime.UtcNow + RequestTimeout, cancellationToken: call.Token)
                        .ConfigureAwait(false);
                }
                catch (RpcException e) when (!token.IsCancellationRequested && NeverSent(e) && DateTime.UtcNow < leaderDeadline)
                {
                    // No connection to the leader (it died, or its peer port is not up yet): nothing left this
                    // member, so the batch may go to whoever leads next, as soon as one does.
                    Log.ForwardNotSent(_logger, batch.Requests.Count, e.Status.Detail);
                    await _leaderWatch.WaitAsync(RetryInterval, token).ConfigureAwait(false);
                    continue;
                }
                catch (RpcException e) when (!token.IsCancellationRequested)
                {
                    // The leader may have proposed some of it: never send again. "leader changed" once another
                    // member leads, else the waiters run into the request timeout.
                    Log.ForwardFailed(_logger, batch.Requests.Count, e.Status.StatusCode, e.Status.Detail);
                    if (e.StatusCode == StatusCode.DeadlineExceeded) _waiters.Fail(batch, ServerError.Timeout);
                    else _ = FailOnLeaderChangeAsync(batch, leader, token);
                    return;
                }
                if (results.NotLeader)
                {
                    // The callee proposed nothing: safe to send again once the leader changes.
                    if (DateTime.UtcNow >= leaderDeadline)
                    {
                        _waiters.Fail(batch, ServerError.NoLeader);
                        return;
                    }
                    await _leaderWatch.WaitAsync(RetryInterval, token).ConfigureAwait(false);
                    continue;
                }
                List<(TaskCompletionSource<ProposeResult> Waiter, ProposeResult Result)>? applied = null;
                RaftBatch? leaderStopped = null;
                for (int i = 0; i < batch.Requests.Count && i < results.Results.Count; i++)
                {
                    ulong id = batch.Requests[i].Header.ID;
                    ForwardResult r = results.Results[i];
                    ProposeResult result = ToProposeResult(r);
                    if (r.Failure.Length > 0) _waiters.Trigger(id, new InvalidOperationException(r.Failure));
                    // The leader stopped with the command proposed: to this member's client the leader changed (or the request timed out).
                    else if (result.Error == ServerError.Stopped) (leaderStopped ??= new RaftBatch()).Requests.Add(batch.Requests[i]);
                    else if (result.Error != ServerError.None) _waiters.Trigger(id, result);
                    else if (_waiters.TryGetValue(id, out var waiter) && !waiter.Task.IsCompleted) (applied ??= []).Add((waiter, result));
                }
                if (applied is not null) _ = CompleteOnLocalApplyAsync(applied);
                if (leaderStopped is not null) _ = FailOnLeaderChangeAsync(leaderStopped, leader, token);
                return;
            }
        }
        catch (OperationCanceledException)
        {
            _waiters.Fail(batch, ServerError.Stopped);
        }
        finally
        {
            _forwardsInFlight.Release();
        }
    }

    /// <summary>
    /// Commands the leader applied are answered once this member applied them too (its apply completes the
    /// waiter with the same result), as etcd answers a follower's client: a serializable read here then sees the
    /// write. Should the local apply not come within the request timeout, the leader's answer is given.
    /// </summary>
    private async Task CompleteOnLocalApplyAsync(List<(TaskCompletionSource<ProposeResult> Waiter, ProposeResult Result)> applied)
    {
        try
        {
            Task all = Task.WhenAll(applied.Select(a => a.Waiter.Task));
            // A snapshot installed here replaces the log it would have applied them from: do not wait for that.
            await Task.WhenAny(all, Volatile.Read(ref _snapshotInstalled).Task).WaitAsync(RequestTimeout, _stopping.Token).ConfigureAwait(false);
            if (all.IsCompleted) return;
        }
        catch (Exception)
        {
            // timed out, stopping, or one local apply failed (its waiter holds that failure)
        }
        // the rest get the leader's answer
        foreach (var (waiter, result) in applied) waiter.TrySetResult(result);
    }

    private TaskCompletionSource _snapshotInstalled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A snapshot from the leader replaced this member's state: forwarded commands waiting for a local apply get the leader's answer.</summary>
    internal void OnSnapshotInstalled() =>
        Interlocked.Exchange(ref _snapshotInstalled, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>A call that failed to connect (TCP connect refused or timed out): the request never left this member.</summary>
    internal static bool NeverSent(RpcException e) =>
        e.StatusCode == StatusCode.Unavailable && e.Status.DebugException switch
        {
            // grpc-dotnet's own connect (its subchannel) or the HTTP handler's connect
            System.Net.Sockets.SocketException => e.Status.Detail.StartsWith("Error connecting to subchannel", StringComparison.Ordinal),
            HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError } => true,
            _ => false,
        };

    private async Task FailOnLeaderChangeAsync(RaftBatch batch, RaftClusterMember leader, CancellationToken token)
    {
        DateTime deadline = DateTime.UtcNow + RequestTimeout;
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                if (_cluster.Leader is { } now && !ReferenceEquals(now, leader))
                {
                    _waiters.Fail(batch, ServerError.LeaderChanged);
                    return;
                }
                await _leaderWatch.WaitAsync(RetryInterval, token).ConfigureAwait(false);
            }
            _waiters.Fail(batch, ServerError.Timeout);
        }
        catch (OperationCanceledException)
        {
            _waiters.Fail(batch, ServerError.Stopped);
        }
    }

    private static ProposeResult ToProposeResult(ForwardResult r) =>
        new(r.Response?.Unpack(ResponseTypes), (MvccError)r.MvccError, (ServerError)r.ServerError);

    // ---- follower side: read index, leases ----

    /// <summary>
    /// A follower's read barrier: the leader's quorum-confirmed read index, then local apply up to it. Asking is
    /// harmless to repeat, so a leader that went away or stepped down is asked again (or its successor) until
    /// <paramref name="deadline"/>.
    /// </summary>
    private async Task<ServerError> ForwardedReadBarrierAsync(DateTime deadline)
    {
        CancellationToken token = _stopping.Token;
        try
        {
            while (true)
            {
                if (await WaitForLeaderAsync(deadline, token).ConfigureAwait(false) is not { } leader) return ServerError.Timeout;
                if (!leader.IsRemote) return await LocalReadBarrierAsync(deadline).ConfigureAwait(false);
                // Asked again of the next leader as soon as this one is replaced: a read round stuck on a frozen
                // leader would hold every linearizable read of this member (LeaderChangeTests.FollowerWritesAndReadsGoToTheNewLeaderWhileTheOldOneIsPaused).
                CancellationToken epoch = _leaderWatch.Token;
                if (!ReferenceEquals(_cluster.Leader, leader)) continue;
                if (ForwardClient(leader) is { } client)
                {
                    using var call = CancellationTokenSource.CreateLinkedTokenSource(token, epoch);
                    try
                    {
                        ReadIndexResponse response = await client.ReadIndexAsync(new ReadIndexRequest(), PeerHeaders, deadline: deadline, cancellationToken: call.Token)
                            .ConfigureAwait(false);
                        if (response.ServerError == (int)ServerError.None)
                        {
                            return await WaitAppliedAsync(response.Index, deadline, token).ConfigureAwait(false) ? ServerError.None : ServerError.Timeout;
                        }
                        if (response.ServerError != (int)ServerError.NoLeader) return (ServerError)response.ServerError;
                    }
                    catch (RpcException) when (!token.IsCancellationRequested && epoch.IsCancellationRequested)
                    {
                        continue; // the leader changed: ask the new one
                    }
                    catch (RpcException e) when (!token.IsCancellationRequested)
                    {
                        Log.ReadIndexFailed(_logger, e.Status.StatusCode, e.Status.Detail);
                        if (e.StatusCode == StatusCode.DeadlineExceeded) return ServerError.Timeout;
                    }
                }
                if (DateTime.UtcNow >= deadline) return ServerError.Timeout;
                await _leaderWatch.WaitAsync(RetryInterval, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            return ServerError.Stopped;
        }
    }

    private async Task<(T? Response, MvccError MvccError, ServerError Error)> ForwardLeaseCallAsync<T>(
        Func<Forward.ForwardClient, DateTime, CancellationToken, Task<(T?, MvccError, ServerError)>> call,
        Func<Task<(T?, MvccError, ServerError)>> local, CancellationToken cancellationToken) where T : class
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        CancellationToken token = linked.Token;
        DateTime deadline = DateTime.UtcNow + RequestTimeout;
        try
        {
            // Renew and time-to-live change nothing in the log: a retry after a lost answer is harmless.
            while (DateTime.UtcNow < deadline)
            {
                if (await WaitForLeaderAsync(deadline, token).ConfigureAwait(false) is not { } leader) break;
                if (!leader.IsRemote) return await local().ConfigureAwait(false);
                CancellationToken epoch = _leaderWatch.Token;
                if (!ReferenceEquals(_cluster.Leader, leader)) continue;
                if (ForwardClient(leader) is { } client)
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
                await _leaderWatch.WaitAsync(RetryInterval, token).ConfigureAwait(false);
            }
            return (null, MvccError.None, _cluster.Leader is null ? ServerError.NoLeader : ServerError.Timeout);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return (null, MvccError.None, ServerError.Stopped);
        }
    }

    private Task<(LeaseKeepAliveResponse?, MvccError, ServerError)> ForwardLeaseRenewAsync(long id, CancellationToken cancellationToken) =>
        ForwardLeaseCallAsync<LeaseKeepAliveResponse>(
            async (client, deadline, token) =>
            {
                LeaseRenewResult r = await client.LeaseRenewAsync(new LeaseKeepAliveRequest { ID = id }, PeerHeaders, deadline: deadline, cancellationToken: token)
                    .ConfigureAwait(false);
                return (r.Response, (MvccError)r.MvccError, (ServerError)r.ServerError);
            },
            () => LocalLeaseRenew(id), cancellationToken);

    private Task<(LeaseTimeToLiveResponse?, MvccError, ServerError)> ForwardLeaseTimeToLiveAsync(LeaseTimeToLiveRequest request, CancellationToken cancellationToken) =>
        ForwardLeaseCallAsync<LeaseTimeToLiveResponse>(
            async (client, deadline, token) =>
            {
                LeaseTimeToLiveResult r = await client.LeaseTimeToLiveAsync(request, PeerHeaders, deadline: deadline, cancellationToken: token).ConfigureAwait(false);
                return (r.Response, (MvccError)r.MvccError, (ServerError)r.ServerError);
            },
            () => LocalLeaseTimeToLive(request), cancellationToken);

    // ---- leader side (called by the Forward service) ----

    public async Task<ForwardResults> ProposeForwardedAsync(RaftBatch batch, CancellationToken cancellationToken)
    {
        var results = new ForwardResults();
        if (_disposed || !IsLeader)
        {
            results.NotLeader = true;
            return results;
        }
        var pending = new (ulong Id, Task<ProposeResult>? Waiter, ServerError Refused)[batch.Requests.Count];
        try
        {
            for (int i = 0; i < batch.Requests.Count; i++)
            {
                InternalRaftRequest request = batch.Requests[i];
                ulong id = request.Header?.ID ?? 0;
                if (id == 0)
                {
                    pending[i] = (0, null, ServerError.Stopped);
                    continue;
                }
                if (IsWrite(request) && !QuotaAvailable(request))
                {
                    pending[i] = (0, null, ServerError.NoSpace);
                    continue;
                }
                var waiter = new TaskCompletionSource<ProposeResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                if (!_waiters.TryAdd(id, waiter))
                {
                    pending[i] = (0, null, ServerError.Stopped); // an id proposed twice: refuse the second
                    continue;
                }
                pending[i] = (id, waiter.Task, ServerError.None);
                _proposals.Writer.TryWrite(request);
            }
            foreach (var (_, waiter, refused) in pending)
            {
                var result = new ForwardResult();
                if (waiter is null)
                {
                    result.ServerError = (int)refused;
                }
                else
                {
                    try
                    {
                        ProposeResult r = await waiter.WaitAsync(RequestTimeout, cancellationToken).ConfigureAwait(false);
                        if (r.Response is not null) result.Response = Any.Pack(r.Response);
                        result.MvccError = (int)r.MvccError;
                        result.ServerError = (int)r.Error;
                    }
                    catch (TimeoutException)
                    {
                        result.ServerError = (int)ServerError.Timeout;
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        result.Failure = e.Message.Length > 0 ? e.Message : e.GetType().Name;
                    }
                }
                results.Results.Add(result);
            }
            // Followers learn the new commit index with the next heartbeat; send it now, so the follower that
            // waits for its own apply before answering its client is not held up a heartbeat interval.
            _ = ForceReplicationAsync();
            return results;
        }
        finally
        {
            foreach (var (id, _, _) in pending)
            {
                if (id != 0) _waiters.TryRemove(id, out _);
            }
        }
    }

    private async Task ForceReplicationAsync()
    {
        try
        {
            await _cluster.ForceReplicationAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or NotLeaderException or InvalidOperationException or ObjectDisposedException)
        {
            // not leader any more, or stopping: followers learn the commit index from whoever leads
        }
    }

    public async Task<ReadIndexResponse> LeaderReadIndexAsync(CancellationToken cancellationToken)
    {
        if (!IsLeader) return new ReadIndexResponse { ServerError = (int)ServerError.NoLeader };
        // Shares the read rounds of this member's own clients: one quorum round serves many followers' reads.
        ServerError error = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        // The WAL's applied index (not AppliedIndex, which skips entries without commands): at least the commit
        // index the barrier confirmed.
        return new ReadIndexResponse { Index = _wal.LastAppliedIndex, ServerError = (int)error };
    }

    public async Task<LeaseRenewResult> LeaderLeaseRenewAsync(long id, CancellationToken cancellationToken)
    {
        if (!IsLeader) return new LeaseRenewResult { ServerError = (int)ServerError.NotLeader };
        var (response, mvccError, error) = await LocalLeaseRenew(id).ConfigureAwait(false);
        return new LeaseRenewResult { Response = response, MvccError = (int)mvccError, ServerError = (int)error };
    }

    public async Task<LeaseTimeToLiveResult> LeaderLeaseTimeToLiveAsync(LeaseTimeToLiveRequest request, CancellationToken cancellationToken)
    {
        if (!IsLeader) return new LeaseTimeToLiveResult { ServerError = (int)ServerError.NotLeader };
        var (response, mvccError, error) = await LocalLeaseTimeToLive(request).ConfigureAwait(false);
        return new LeaseTimeToLiveResult { Response = response, MvccError = (int)mvccError, ServerError = (int)error };
    }

    // ---- apply progress ----

    /// <summary>
    /// Waits until this member has applied log index <paramref name="index"/>; false at the deadline. Counts in the
    /// WAL's applied index (every entry, no-ops and configuration too), the same count the leader's answer uses.
    /// </summary>
    private async Task<bool> WaitAppliedAsync(long index, DateTime deadline, CancellationToken token)
    {
        if (_wal.LastAppliedIndex >= index && _stateMachine.Restored.IsCompleted) return true;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        TimeSpan left = deadline - DateTime.UtcNow;
        timeout.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        try
        {
            await _wal.WaitForApplyAsync(index, timeout.Token).ConfigureAwait(false);
            await _stateMachine.Restored.WaitAsync(timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            return false;
        }
    }

    // ---- the leader and the members' peer end points ----

    /// <summary>The current leader, waiting for one until <paramref name="deadline"/> (null then).</summary>
    private async Task<RaftClusterMember?> WaitForLeaderAsync(DateTime deadline, CancellationToken token)
    {
        while (true)
        {
            Task changed = _leaderWatch.Changed;
            if (_cluster.Leader is { } leader) return leader;
            TimeSpan left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) return null;
            await LeaderWatch.WaitAsync(changed, left < RetryInterval ? left : RetryInterval, token).ConfigureAwait(false);
        }
    }

    public ConfirmLeaderResponse ConfirmLeader(long term, ulong leaderId)
    {
        long current = RaftTerm;
        return new ConfirmLeaderResponse { Term = current, Confirmed = current == term && !IsLeader && LeaderId == leaderId };
    }

    /// <summary>
    /// Asks every other voter whether it still follows this member in <paramref name="term"/>; true once a majority
    /// (this member included) says so, false when that can no longer happen or at <paramref name="deadline"/>. Called
    /// after a read arrived, so a majority proves that no newer leader committed anything before it (DotNext's strong
    /// read barrier alone does not: after a SIGSTOP/SIGCONT the old leader counted answers to requests it had sent
    /// before the pause, and served a stale read).
    /// </summary>
    private async Task<bool> ConfirmLeadershipAsync(long term, DateTime deadline)
    {
        List<RaftClusterMember> others = _cluster.Members.Where(m => m.IsRemote).ToList();
        int needed = (others.Count + 1) / 2; // a majority of all voters, minus this member
        if (needed == 0) return true;
        int confirmed = 0, refused = 0;
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        TimeSpan left = deadline - DateTime.UtcNow;
        cancel.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        foreach (RaftClusterMember member in others)
        {
            _ = AskAsync(member);
        }
        try
        {
            return await done.Task.WaitAsync(cancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        finally
        {
            await cancel.CancelAsync().ConfigureAwait(false); // the slow ones are not needed any more
        }

        async Task AskAsync(RaftClusterMember member)
        {
            bool yes = false;
            try
            {
                if (ForwardClient(member) is { } client)
                {
                    ConfirmLeaderResponse r = await client.ConfirmLeaderAsync(new ConfirmLeaderRequest { Term = term }, PeerHeaders,
                        deadline: deadline, cancellationToken: cancel.Token).ConfigureAwait(false);
                    yes = r.Confirmed;
                }
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
            }
            if (yes ? Interlocked.Increment(ref confirmed) == needed : Interlocked.Increment(ref refused) == others.Count - needed + 1)
            {
                done.TrySetResult(yes);
            }
        }
    }

    /// <summary>The peer-port client of a member (<see cref="Transport.PeerClients"/>).</summary>
    private Forward.ForwardClient ForwardClient(RaftClusterMember member) => _peerClients.For(member.EndPoint);

    /// <summary>The member of <see cref="Members"/> at a Raft endpoint (its first peer URL).</summary>
    private MemberInfo? MemberAt(EndPoint endPoint)
    {
        foreach (MemberInfo m in Members)
        {
            if (m.PeerUrls.Count > 0 && Uri.TryCreate(m.PeerUrls[0], UriKind.Absolute, out Uri? url) && IsAt(url, endPoint)) return m;
        }
        return null;
    }

    private static bool IsAt(Uri url, EndPoint endPoint) => endPoint switch
    {
        IPEndPoint ip => ip.Port == url.Port && (IPAddress.TryParse(url.Host, out IPAddress? address)
            ? address.Equals(ip.Address)
            : url.Host == "localhost" && IPAddress.IsLoopback(ip.Address)),
        DnsEndPoint dns => dns.Port == url.Port && string.Equals(dns.Host, url.Host, StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    /// <summary>Fetches every remote member's metadata until all are known (member names and client URLs for the member list, the leader id).</summary>
    private async Task MetadataLoopAsync(CancellationToken token)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(100, Config.ElectionTimeoutMs)));
        while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
        {
            foreach (RaftClusterMember member in _cluster.Members)
            {
                if (!member.IsRemote || member.TryGetMetadata() is not null) continue;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(TimeSpan.FromMilliseconds(Config.ElectionTimeoutMs * 2));
                try
                {
                    await member.GetMetadataAsync(false, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Stopping: a member that went away first (any error then) ends the loop, not the member's stop.
                    if (token.IsCancellationRequested) return;
                    // unreachable now: try again on the next tick
                    Log.MetadataFailed(_logger, member.EndPoint, e);
                }
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "forwarding {Count} proposals to the leader failed: {Code} {Detail}")]
        public static partial void ForwardFailed(ILogger logger, int count, StatusCode code, string detail);

        [LoggerMessage(Level = LogLevel.Debug, Message = "no connection to the leader for {Count} proposals, trying again: {Detail}")]
        public static partial void ForwardNotSent(ILogger logger, int count, string detail);

        [LoggerMessage(Level = LogLevel.Warning, Message = "read index from the leader failed: {Code} {Detail}")]
        public static partial void ReadIndexFailed(ILogger logger, StatusCode code, string detail);

        [LoggerMessage(Level = LogLevel.Debug, Message = "forwarding a lease call to the leader failed: {Code} {Detail}")]
        public static partial void LeaseForwardFailed(ILogger logger, StatusCode code, string detail);

        [LoggerMessage(Level = LogLevel.Debug, Message = "metadata of member {EndPoint} not available")]
        public static partial void MetadataFailed(ILogger logger, EndPoint endPoint, Exception e);
    }
}
