using System.Collections.Concurrent;
using Etcdserverpb;
using Kvstorepb;
using KvStore.Server.Replication;

namespace KvStore.Server.Apply;

/// <summary>
/// etcd's wait.Wait: the proposals waiting for their command's outcome, by request id. The apply loop triggers
/// them; a sweeper answers "request timed out" past a proposal's deadline, so no proposal needs a timer of its own.
/// Tested by EtcdServerTests and the cluster tests (timeouts, leader changes).
/// </summary>
internal sealed class WaitRegistry : IProposalWaiters
{
    /// <summary>How often the sweeper looks for proposals past their deadline (a timeout answers at most this late).</summary>
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(100);

    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<ProposeResult>> _waiters = new();

    /// <summary>Registers a proposal that times out at <paramref name="deadlineMs"/> (Environment.TickCount64).</summary>
    public TaskCompletionSource<ProposeResult> Register(ulong id, long deadlineMs)
    {
        var waiter = new ProposalWaiter(deadlineMs);
        _waiters[id] = waiter;
        return waiter;
    }

    /// <summary>Registers a waiter without a deadline (its caller bounds the wait); false if the id waits already.</summary>
    public bool TryAdd(ulong id, TaskCompletionSource<ProposeResult> waiter) => _waiters.TryAdd(id, waiter);

    public void Remove(ulong id) => _waiters.TryRemove(id, out _);

    public TaskCompletionSource<ProposeResult>? Pending(ulong id) =>
        _waiters.TryGetValue(id, out var waiter) && !waiter.Task.IsCompleted ? waiter : null;

    public void Complete(ulong id, ProposeResult result)
    {
        if (id != 0 && _waiters.TryGetValue(id, out var waiter)) waiter.TrySetResult(result);
    }

    public void Fail(ulong id, Exception error)
    {
        if (id != 0 && _waiters.TryGetValue(id, out var waiter)) waiter.TrySetException(error);
    }

    /// <summary>Answers <paramref name="error"/> to every waiting proposal (the member stops).</summary>
    public void FailAll(ServerError error)
    {
        foreach (var waiter in _waiters.Values) waiter.TrySetResult(new ProposeResult(null, Error: error));
    }

    /// <summary>Answers "request timed out" to every proposal waiting past its deadline (etcd's request timeout).</summary>
    public async Task ExpireLoopAsync(CancellationToken token)
    {
        using var timer = new PeriodicTimer(SweepInterval);
        while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
        {
            long now = Environment.TickCount64;
            foreach (var (_, waiter) in _waiters)
            {
                if (waiter is ProposalWaiter w && now >= w.DeadlineMs) w.TrySetResult(new ProposeResult(null, Error: ServerError.Timeout));
            }
        }
    }

    /// <summary>A proposal's completion with the time (Environment.TickCount64) it times out at.</summary>
    private sealed class ProposalWaiter(long deadlineMs)
        : TaskCompletionSource<ProposeResult>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public readonly long DeadlineMs = deadlineMs;
    }
}
