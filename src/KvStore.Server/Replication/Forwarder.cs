using DotNext.Net.Cluster.Consensus.Raft;
using Etcdserverpb;
using Google.Protobuf.Reflection;
using Grpc.Core;
using KvStore.Mvcc;
using Kvstorepb;
using Microsoft.Extensions.Logging;

namespace KvStore.Server.Replication;

/// <summary>
/// Follower forwarding (etcd serves every request on every member): a follower batches its clients' proposals and
/// sends them to the leader's peer port with the request ids they already carry. A batch is sent at most once, so a
/// command is never applied twice; a batch that never left this member goes to whoever leads next.
/// </summary>
internal sealed partial class Forwarder
{
    private static readonly TypeRegistry ResponseTypes = TypeRegistry.FromFiles(RpcReflection.Descriptor);

    private readonly LeaderLink _link;
    private readonly IProposalWaiters _waiters;
    private readonly Action<InternalRaftRequest> _toLocal;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeSpan _leaderWait;
    private readonly CancellationToken _stopping;
    private readonly ILogger _logger;
    private readonly BatchingLoop _loop;
    private TaskCompletionSource _snapshotInstalled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="link">The way to the leader.</param>
    /// <param name="waiters">The proposals waiting for their apply.</param>
    /// <param name="toLocal">Hands a command to this member's own proposer (it became leader before sending).</param>
    /// <param name="requestTimeout">etcd's request timeout.</param>
    /// <param name="leaderWait">How long to wait for a leader before answering "no leader" (a little less than the request timeout).</param>
    /// <param name="stopping">Cancelled when the member stops.</param>
    /// <param name="logger">The member's logger.</param>
    public Forwarder(LeaderLink link, IProposalWaiters waiters, Action<InternalRaftRequest> toLocal, TimeSpan requestTimeout,
        TimeSpan leaderWait, CancellationToken stopping, ILogger logger)
    {
        _link = link;
        _waiters = waiters;
        _toLocal = toLocal;
        _requestTimeout = requestTimeout;
        _leaderWait = leaderWait;
        _stopping = stopping;
        _logger = logger;
        _loop = new BatchingLoop(ForwardAsync);
    }

    /// <summary>Queues a command for the next batch to the leader.</summary>
    public void Enqueue(InternalRaftRequest request) => _loop.Enqueue(request);

    /// <summary>The batching loop; ends at <see cref="Complete"/> or when <paramref name="token"/> is cancelled.</summary>
    public Task RunAsync(CancellationToken token) => _loop.RunAsync(token);

    /// <summary>Takes no more commands.</summary>
    public void Complete() => _loop.Complete();

    /// <summary>A snapshot replaced this member's state: forwarded commands waiting for their local apply get the leader's answer.</summary>
    public void OnSnapshotInstalled() =>
        Interlocked.Exchange(ref _snapshotInstalled, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private async Task ForwardAsync(RaftBatch batch, CancellationToken token)
    {
        try
        {
            DateTime leaderDeadline = DateTime.UtcNow + _leaderWait;
            while (true)
            {
                if (await _link.WaitForLeaderAsync(leaderDeadline, token).ConfigureAwait(false) is not { } leader)
                {
                    _waiters.FailAll(batch, ServerError.NoLeader);
                    return;
                }
                if (!leader.IsRemote)
                {
                    // Became leader before sending: nothing left this member, propose here.
                    foreach (InternalRaftRequest r in batch.Requests) _toLocal(r);
                    return;
                }
                // The call is abandoned once this member follows another leader (or none), so a batch sent to a leader that
                // froze does not hold its in-flight slot (LeaderChangeTests.FollowerWritesAndReadsGoToTheNewLeaderWhileTheOldOneIsPaused).
                CancellationToken epoch = _link.Watch.Token;
                if (!ReferenceEquals(_link.Leader, leader)) continue;
                using var call = CancellationTokenSource.CreateLinkedTokenSource(token, epoch);
                Forward.ForwardClient client = _link.Client(leader);
                ForwardResults results;
                try
                {
                    results = await client
                        .ProposeAsync(batch, _link.Headers, deadline: DateTime.UtcNow + _requestTimeout, cancellationToken: call.Token)
                        .ConfigureAwait(false);
                }
                catch (RpcException e) when (!token.IsCancellationRequested && LeaderLink.NeverSent(e) && DateTime.UtcNow < leaderDeadline)
                {
                    // No connection to the leader (it died, or its peer port is not up yet): nothing left this member, so
                    // the batch may go to whoever leads next, as soon as one does.
                    Log.ForwardNotSent(_logger, batch.Requests.Count, e.Status.Detail);
                    await _link.Watch.WaitAsync(_link.RetryInterval, token).ConfigureAwait(false);
                    continue;
                }
                catch (RpcException e) when (!token.IsCancellationRequested)
                {
                    // The leader may have proposed some of it: never send again. "leader changed" once another member
                    // leads, else the waiters run into the request timeout.
                    Log.ForwardFailed(_logger, batch.Requests.Count, e.Status.StatusCode, e.Status.Detail);
                    if (e.StatusCode == StatusCode.DeadlineExceeded) _waiters.FailAll(batch, ServerError.Timeout);
                    else _ = FailOnLeaderChangeAsync(batch, leader, token);
                    return;
                }
                if (results.NotLeader)
                {
                    // The callee proposed nothing: safe to send again once the leader changes.
                    if (DateTime.UtcNow >= leaderDeadline)
                    {
                        _waiters.FailAll(batch, ServerError.NoLeader);
                        return;
                    }
                    await _link.Watch.WaitAsync(_link.RetryInterval, token).ConfigureAwait(false);
                    continue;
                }
                Answer(batch, results, leader, token);
                return;
            }
        }
        catch (OperationCanceledException)
        {
            _waiters.FailAll(batch, ServerError.Stopped);
        }
    }

    /// <summary>Answers each command of a batch the leader took with the leader's result (for an applied one, after the local apply).</summary>
    private void Answer(RaftBatch batch, ForwardResults results, RaftClusterMember leader, CancellationToken token)
    {
        List<(TaskCompletionSource<ProposeResult> Waiter, ProposeResult Result)>? applied = null;
        RaftBatch? leaderStopped = null;
        for (int i = 0; i < batch.Requests.Count && i < results.Results.Count; i++)
        {
            ulong id = batch.Requests[i].Header.ID;
            ForwardResult r = results.Results[i];
            ProposeResult result = ToProposeResult(r);
            if (r.Failure.Length > 0) _waiters.Fail(id, new InvalidOperationException(r.Failure));
            // The leader stopped with the command proposed: to this member's client the leader changed (or the request timed out).
            else if (result.Error == ServerError.Stopped) (leaderStopped ??= new RaftBatch()).Requests.Add(batch.Requests[i]);
            else if (result.Error != ServerError.None) _waiters.Complete(id, result);
            else if (_waiters.Pending(id) is { } waiter) (applied ??= []).Add((waiter, result));
        }
        if (applied is not null) _ = CompleteOnLocalApplyAsync(applied);
        if (leaderStopped is not null) _ = FailOnLeaderChangeAsync(leaderStopped, leader, token);
    }

    /// <summary>
    /// Commands the leader applied are answered once this member applied them too (its apply completes the waiter with
    /// the same result), as etcd answers a follower's client: a serializable read here then sees the write. Should the
    /// local apply not come within the request timeout, the leader's answer is given.
    /// </summary>
    private async Task CompleteOnLocalApplyAsync(List<(TaskCompletionSource<ProposeResult> Waiter, ProposeResult Result)> applied)
    {
        try
        {
            Task all = Task.WhenAll(applied.Select(a => a.Waiter.Task));
            // A snapshot installed here replaces the log it would have applied them from: do not wait for that.
            await Task.WhenAny(all, Volatile.Read(ref _snapshotInstalled).Task).WaitAsync(_requestTimeout, _stopping).ConfigureAwait(false);
            if (all.IsCompleted) return;
        }
        catch (Exception)
        {
            // timed out, stopping, or one local apply failed (its waiter holds that failure)
        }
        // the rest get the leader's answer
        foreach (var (waiter, result) in applied) waiter.TrySetResult(result);
    }

    private async Task FailOnLeaderChangeAsync(RaftBatch batch, RaftClusterMember leader, CancellationToken token)
    {
        DateTime deadline = DateTime.UtcNow + _requestTimeout;
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                if (_link.Leader is { } now && !ReferenceEquals(now, leader))
                {
                    _waiters.FailAll(batch, ServerError.LeaderChanged);
                    return;
                }
                await _link.Watch.WaitAsync(_link.RetryInterval, token).ConfigureAwait(false);
            }
            _waiters.FailAll(batch, ServerError.Timeout);
        }
        catch (OperationCanceledException)
        {
            _waiters.FailAll(batch, ServerError.Stopped);
        }
    }

    private static ProposeResult ToProposeResult(ForwardResult r) =>
        new(r.Response?.Unpack(ResponseTypes), (MvccError)r.MvccError, (ServerError)r.ServerError);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "forwarding {Count} proposals to the leader failed: {Code} {Detail}")]
        public static partial void ForwardFailed(ILogger logger, int count, StatusCode code, string detail);

        [LoggerMessage(Level = LogLevel.Debug, Message = "no connection to the leader for {Count} proposals, trying again: {Detail}")]
        public static partial void ForwardNotSent(ILogger logger, int count, string detail);
    }
}
