using DotNext.Net.Cluster.Consensus.Raft;
using Google.Protobuf.WellKnownTypes;
using Etcdserverpb;
using Kvstorepb;

namespace KvStore.Server.Replication;

/// <summary>
/// The leader's proposals (etcd's MsgProp on the leader): commands queued here, from this member's clients or
/// forwarded by followers, are batched into log entries of the term this member leads in; a command queued while
/// this member does not lead goes to the leader (<see cref="Forwarder"/>).
/// </summary>
internal sealed class Proposer
{
    private readonly RaftCluster _cluster;
    private readonly LeaderLink _link;
    private readonly LeaderLog _log;
    private readonly IProposalWaiters _waiters;
    private readonly Func<InternalRaftRequest, bool> _hasRoom;
    private readonly Action<InternalRaftRequest> _toLeader;
    private readonly TimeSpan _requestTimeout;
    private readonly CancellationToken _stopping;
    private readonly BatchingLoop _loop;

    /// <param name="cluster">The Raft node (to send the commit index at once).</param>
    /// <param name="link">The way to the leader.</param>
    /// <param name="log">The leader's appends.</param>
    /// <param name="waiters">The proposals waiting for their apply.</param>
    /// <param name="hasRoom">False for a write the quota refuses (NOSPACE).</param>
    /// <param name="toLeader">Hands a command to the leader (the follower side).</param>
    /// <param name="requestTimeout">etcd's request timeout.</param>
    /// <param name="stopping">Cancelled when the member stops.</param>
    public Proposer(RaftCluster cluster, LeaderLink link, LeaderLog log, IProposalWaiters waiters, Func<InternalRaftRequest, bool> hasRoom,
        Action<InternalRaftRequest> toLeader, TimeSpan requestTimeout, CancellationToken stopping)
    {
        _cluster = cluster;
        _link = link;
        _log = log;
        _waiters = waiters;
        _hasRoom = hasRoom;
        _toLeader = toLeader;
        _requestTimeout = requestTimeout;
        _stopping = stopping;
        _loop = new BatchingLoop(ReplicateAsync);
    }

    /// <summary>Proposes a command whose waiter is registered: batched here when leading, else sent to the leader.</summary>
    public void Submit(InternalRaftRequest request)
    {
        if (_link.IsLeader) _loop.Enqueue(request);
        else _toLeader(request);
    }

    /// <summary>Queues a command for this leader's next entry.</summary>
    public void Enqueue(InternalRaftRequest request) => _loop.Enqueue(request);

    /// <summary>The batching loop; ends at <see cref="Complete"/> or when <paramref name="token"/> is cancelled.</summary>
    public Task RunAsync(CancellationToken token) => _loop.RunAsync(token);

    /// <summary>Takes no more commands.</summary>
    public void Complete() => _loop.Complete();

    private async Task ReplicateAsync(RaftBatch batch, CancellationToken token)
    {
        try
        {
            if (_log.TermOrZero() is not (> 0 and var term))
            {
                await HandBackAsync(batch, token).ConfigureAwait(false);
                return;
            }
            await _log.AppendAsync(batch, term, token).ConfigureAwait(false);
        }
        catch (NotLeaderException e) when (e.InnerException is null)
        {
            // Refused before the append (DotNext's leader state not started yet, or already gone): nothing was proposed.
            await HandBackAsync(batch, token).ConfigureAwait(false);
        }
        catch (NotLeaderException)
        {
            _waiters.FailAll(batch, ServerError.NoLeader);
        }
        catch (OperationCanceledException)
        {
            _waiters.FailAll(batch, ServerError.Stopped);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            _waiters.FailAll(batch, ServerError.Stopped);
        }
    }

    /// <summary>
    /// A batch proposed nowhere yet goes back to the leader, whoever it is now. Leading but between terms (the leader
    /// event not seen yet, the leader state still starting, or stepping down): wait a moment rather than spin between the
    /// two queues; the forwarder's leader wait bounds how long. Tested by ForwardTests and FaultMechanismTests.
    /// </summary>
    private async Task HandBackAsync(RaftBatch batch, CancellationToken token)
    {
        if (_link.IsLeader) await Task.Delay(10, token).ConfigureAwait(false);
        foreach (InternalRaftRequest r in batch.Requests) _toLeader(r);
    }

    // ---- leader side of forwarding (the Forward service calls this) ----

    /// <summary>Proposes the commands of a follower, each under its own request id; answers once each is applied here.</summary>
    public async Task<ForwardResults> ProposeForwardedAsync(RaftBatch batch, CancellationToken cancellationToken)
    {
        var results = new ForwardResults();
        if (_stopping.IsCancellationRequested || !_link.IsLeader)
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
                if (!_hasRoom(request))
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
                _loop.Enqueue(request);
            }
            foreach (var (_, waiter, refused) in pending)
            {
                results.Results.Add(waiter is null
                    ? new ForwardResult { ServerError = (int)refused }
                    : await ResultAsync(waiter, cancellationToken).ConfigureAwait(false));
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
                if (id != 0) _waiters.Remove(id);
            }
        }
    }

    private async Task<ForwardResult> ResultAsync(Task<ProposeResult> waiter, CancellationToken cancellationToken)
    {
        var result = new ForwardResult();
        try
        {
            ProposeResult r = await waiter.WaitAsync(_requestTimeout, cancellationToken).ConfigureAwait(false);
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
        return result;
    }

    private async Task ForceReplicationAsync()
    {
        try
        {
            await _cluster.ForceReplicationAsync(_stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or NotLeaderException or InvalidOperationException or ObjectDisposedException)
        {
            // not leader any more, or stopping: followers learn the commit index from whoever leads
        }
    }
}
