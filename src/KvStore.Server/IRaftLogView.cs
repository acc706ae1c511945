using DotNext.Net.Cluster.Consensus.Raft;

namespace KvStore.Server;

/// <summary>
/// The Raft log as the server uses it beside DotNext's cluster (EtcdServer, ReadIndex): its indexes, waiting for an
/// apply, opening, and the follower rules' hooks. The cluster itself drives the log through <see cref="AuditTrail"/>.
/// Callers hold the log only through this, so its implementation is chosen in one place (EtcdServer's constructor).
/// Every member reads what the cluster reads: the log's <c>IAuditTrail</c> members, its re-implemented ones included
/// (RaftLogViewTests.TheViewSeesTheCommitTheClusterClamped).
/// </summary>
internal interface IRaftLogView : IAsyncDisposable
{
    /// <summary>The log as DotNext's <see cref="RaftCluster"/> takes it (term, vote, appends, commits).</summary>
    IPersistentState AuditTrail { get; }

    long LastEntryIndex { get; }

    /// <summary>The highest index committed here (after the follower commit clamp).</summary>
    long LastCommittedEntryIndex { get; }

    long LastAppliedIndex { get; }

    /// <summary>Completes once the applied index reaches <paramref name="index"/>.</summary>
    ValueTask WaitForApplyAsync(long index, CancellationToken token);

    /// <summary>Opens the log: replays the committed entries the state machine has not applied.</summary>
    Task InitializeAsync(CancellationToken token);

    /// <summary>This member leads: its commits follow its own quorum, no AppendEntries limits them.</summary>
    void OnBecameLeader();

    /// <summary>False while the disk cannot take more entries: a follower then refuses what the leader sends.</summary>
    Func<bool>? HasRoom { set; }

    /// <summary>Called with (leader's commit index, the limit) when an AppendEntries asked to commit more than it carried.</summary>
    Action<long, long>? Clamped { set; }
}
