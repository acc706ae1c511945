using System.Collections.Concurrent;

namespace KvStore.Server.Replication;

/// <summary><see cref="IProposalWaiters"/> over the member's table of waiters by request id (id 0 is never registered).</summary>
internal sealed class ProposalWaiters(ConcurrentDictionary<ulong, TaskCompletionSource<ProposeResult>> waiters) : IProposalWaiters
{
    public bool TryAdd(ulong id, TaskCompletionSource<ProposeResult> waiter) => waiters.TryAdd(id, waiter);

    public void Remove(ulong id) => waiters.TryRemove(id, out _);

    public TaskCompletionSource<ProposeResult>? Pending(ulong id) =>
        waiters.TryGetValue(id, out var waiter) && !waiter.Task.IsCompleted ? waiter : null;

    public void Complete(ulong id, ProposeResult result)
    {
        if (id != 0 && waiters.TryGetValue(id, out var waiter)) waiter.TrySetResult(result);
    }

    public void Fail(ulong id, Exception error)
    {
        if (id != 0 && waiters.TryGetValue(id, out var waiter)) waiter.TrySetException(error);
    }
}
