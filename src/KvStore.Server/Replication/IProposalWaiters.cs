using Etcdserverpb;
using Kvstorepb;

namespace KvStore.Server.Replication;

/// <summary>The proposals waiting for their apply, by request id, as the proposer and the forwarder need them.</summary>
internal interface IProposalWaiters
{
    /// <summary>Registers a waiter for <paramref name="id"/>; false when one is registered already.</summary>
    bool TryAdd(ulong id, TaskCompletionSource<ProposeResult> waiter);

    /// <summary>Forgets the waiter of <paramref name="id"/>.</summary>
    void Remove(ulong id);

    /// <summary>The waiter of <paramref name="id"/> while it is registered and not answered yet.</summary>
    TaskCompletionSource<ProposeResult>? Pending(ulong id);

    /// <summary>Answers the waiter of <paramref name="id"/>, if any.</summary>
    void Complete(ulong id, ProposeResult result);

    /// <summary>Fails the waiter of <paramref name="id"/>, if any.</summary>
    void Fail(ulong id, Exception error);
}

/// <summary>Helpers over <see cref="IProposalWaiters"/>.</summary>
internal static class ProposalWaitersExtensions
{
    /// <summary>Answers every command of <paramref name="batch"/> with <paramref name="error"/>.</summary>
    public static void FailAll(this IProposalWaiters waiters, RaftBatch batch, ServerError error)
    {
        foreach (InternalRaftRequest r in batch.Requests) waiters.Complete(r.Header.ID, new ProposeResult(null, Error: error));
    }
}
