using System.Collections.Concurrent;
using DotNext.Net.Cluster.Consensus.Raft;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;
using Kvstorepb;

namespace KvStore.Server;

public sealed partial class EtcdServer
{
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<ProposeResult>> _waiters = new();
    private long _nextRequestId;

    /// <summary>etcd's request timeout: 5 s plus twice the election timeout.</summary>
    private TimeSpan RequestTimeout => TimeSpan.FromSeconds(5) + TimeSpan.FromMilliseconds(2.0 * Config.ElectionTimeoutMs);

    /// <summary>Request ids unique per member (etcd's idutil: member id bits, then a counter seeded by time).</summary>
    private ulong NextRequestId()
    {
        if (_nextRequestId == 0)
        {
            long seed = (long)(((MemberId & 0xffff) << 48) | (((ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() & 0xffffffffff) << 8));
            Interlocked.CompareExchange(ref _nextRequestId, seed, 0);
        }
        return (ulong)Interlocked.Increment(ref _nextRequestId);
    }

    public async Task<ProposeResult> ProposeAsync(InternalRaftRequest request, CancellationToken cancellationToken)
    {
        if (_disposed) return new ProposeResult(null, Error: ServerError.Stopped);
        if (request.CalculateSize() > Config.MaxRequestBytes) return new ProposeResult(null, Error: ServerError.RequestTooLarge);
        if (IsWrite(request) && !QuotaAvailable(request))
        {
            await NoSpaceRaisedAsync(cancellationToken).ConfigureAwait(false);
            return new ProposeResult(null, Error: ServerError.NoSpace);
        }

        // etcd's processInternalRaftRequestOnce: the user of the call's token travels in the header.
        MvccError authError = ResolveAuth(out AuthInfo? auth);
        if (authError != MvccError.None) return new ProposeResult(null, authError);
        ulong id = NextRequestId();
        request.Header = new RequestHeader { ID = id, Username = auth?.Username ?? "", AuthRevision = auth?.Revision ?? 0 };
        // No timer per request: the sweeper (ExpireWaitersLoopAsync) answers "request timed out" once the deadline
        // passed. A Task.WaitAsync(timeout) here allocated a timer and took the timer queue's lock twice per put.
        var waiter = new ProposalWaiter(Environment.TickCount64 + (long)RequestTimeout.TotalMilliseconds);
        _waiters[id] = waiter;
        // A follower hands the command to the leader (Forwarder); the leader batches it into the log (Proposer).
        _proposer.Submit(request);
        try
        {
            return cancellationToken.CanBeCanceled
                ? await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false)
                : await waiter.Task.ConfigureAwait(false);
        }
        finally
        {
            _waiters.TryRemove(id, out _);
        }
    }

    /// <summary>A proposal's completion with the time (Environment.TickCount64) it times out at.</summary>
    private sealed class ProposalWaiter(long deadlineMs) : TaskCompletionSource<ProposeResult>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public readonly long DeadlineMs = deadlineMs;
    }

    /// <summary>How often the sweeper looks for proposals past their deadline (a timeout answers at most this late).</summary>
    private static readonly TimeSpan WaiterSweepInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Answers "request timed out" to every proposal waiting past its deadline (etcd's request timeout).</summary>
    private async Task ExpireWaitersLoopAsync(CancellationToken token)
    {
        using var timer = new PeriodicTimer(WaiterSweepInterval);
        while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
        {
            long now = Environment.TickCount64;
            foreach (var (_, waiter) in _waiters)
            {
                if (waiter is ProposalWaiter w && now >= w.DeadlineMs) w.TrySetResult(new ProposeResult(null, Error: ServerError.Timeout));
            }
        }
    }

    /// <summary>Appends an entry without commands when this member leads (<see cref="Replication.LeaderLog.AppendEmpty"/>).</summary>
    internal void AppendEmptyEntry() => _leaderLog.AppendEmpty();

    private void FailAllWaiters(ServerError error)
    {
        foreach (var waiter in _waiters.Values) waiter.TrySetResult(new ProposeResult(null, Error: error));
    }

    internal void CompleteWaiter(ulong id, ProposeResult result)
    {
        if (id != 0 && _waiters.TryGetValue(id, out var waiter)) waiter.TrySetResult(result);
    }

    internal void CompleteWaiter(ulong id, Exception error)
    {
        if (id != 0 && _waiters.TryGetValue(id, out var waiter)) waiter.TrySetException(error);
    }

    /// <summary>The apply dispatch for one committed command (engine commands, plus alarms which the member owns), after etcd's auth checks.</summary>
    internal ProposeResult ApplyCommand(long engineIndex, InternalRaftRequest request, long nowMs)
    {
        if (request.Alarm is { } alarm) return ApplyAlarm(engineIndex, alarm);
        if (NoSpaceActive && IsWrite(request))
        {
            _store.MarkApplied(engineIndex); // etcd's applierV3Capped refuses writes while NOSPACE is raised
            return new ProposeResult(null, Error: ServerError.NoSpace);
        }
        MvccError denied = CheckCommand(request);
        if (denied != MvccError.None)
        {
            _store.MarkApplied(engineIndex);
            return new ProposeResult(null, denied);
        }
        ApplyResult r = AfterAuthApplied(engineIndex, request, _store.Apply(engineIndex, request, nowMs), nowMs);
        return new ProposeResult(r.Response, r.Error == MvccError.AlreadyApplied ? MvccError.None : r.Error);
    }

    /// <summary>A request etcd's quota charges for (cost above 0): refused with NOSPACE when the quota is used up.</summary>
    private static bool IsWrite(InternalRaftRequest r) => QuotaCost(r) > 0;
}
