using DotNext.Net.Cluster.Consensus.Raft;
using Google.Protobuf;
using Kvstorepb;

namespace KvStore.Server.Replication;

/// <summary>
/// The leader's appends: entries stamped with the term this member became leader in, never the current term read
/// outside DotNext's transition lock (an entry of a stepping-down leader must conflict with the new leader's).
/// Test: FaultTests.PausedLeaderStepsDownAndServesNoStaleRead.
/// </summary>
internal sealed class LeaderLog(RaftCluster cluster, Func<long> currentTerm, CancellationToken stopping)
{
    private long _leaderTerm; // the Raft term this member became leader in

    /// <summary>Called when this member became leader: terms only grow, so the term read then is this leadership's or already over.</summary>
    public void OnBecameLeader(long term) => Volatile.Write(ref _leaderTerm, term);

    /// <summary>The term this member leads in, or 0 when it does not lead (or its term has moved on since it became leader).</summary>
    public long TermOrZero()
    {
        long term = Volatile.Read(ref _leaderTerm);
        return cluster.Leader is { IsRemote: false } && term > 0 && currentTerm() == term ? term : 0;
    }

    /// <summary>
    /// Appends <paramref name="batch"/> as an entry of <paramref name="term"/> and waits until it is committed. The entry's
    /// context carries the batch as proposed, so this member's applier need not parse it again (<see cref="ProposedBatch"/>).
    /// </summary>
    public ValueTask AppendAsync(RaftBatch batch, long term, CancellationToken token)
    {
        byte[] content = batch.ToByteArray();
        return cluster.ReplicateAsync(new BinaryLogEntry { Content = content, Term = term, Context = new ProposedBatch(batch, content) }, token);
    }

    /// <summary>
    /// Appends an entry without commands when this member leads (in the background; nothing waits for it), so the apply
    /// loop reaches a snapshot asked for by a resent one on an idle cluster (<see cref="RaftStateMachine"/>).
    /// Test: SnapshotTests.AMemberBehindTheCompactedLogCatchesUpThroughASnapshot.
    /// </summary>
    public void AppendEmpty()
    {
        if (TermOrZero() is not (> 0 and var term)) return;
        _ = AppendEmptyAsync(term);
    }

    private async Task AppendEmptyAsync(long term)
    {
        try
        {
            await AppendAsync(new RaftBatch(), term, stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NotLeaderException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            // no longer leading or stopping: the next leader's own no-op entry serves the same purpose
        }
    }
}
