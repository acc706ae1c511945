using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace KvStore.Server.Tests;

/// <summary>
/// The reference the RaftLog tests compare against (RaftLogDifferentialTests, RaftLogImportTests, RaftStateMachineCoreTests):
/// the member's Raft log before it had its own WAL, kept here, out of the server, since no member uses it.
/// </summary>
/// <remarks>
/// DotNext's <see cref="WriteAheadLog"/> with Raft's commit rule for followers enforced: an AppendEntries commits
/// at most up to the last entry it carried (AppendEntries rule 5: commitIndex = min(leaderCommit, index of last
/// new entry)). DotNext 6.12's handler appends the entries and then commits the local log up to the leader's
/// commit index; on a member that led before, the log can still hold entries of its old term past the ones the
/// new leader has sent so far, and those were applied although no quorum had them. The SIGSTOP fault test caught
/// it: the old leader's state differed from the others' at the same applied index, for good (the engine skips an
/// index it has applied).
/// <para>The follower handler is the only caller of the producer <c>AppendAsync</c>; it calls <c>CommitAsync</c> right
/// after, under DotNext's transition lock. The limit it sets is lifted when this member becomes leader (its own log is
/// then the reference); a leader's commit clamped by a stale limit before that is only later, never wrong.</para>
/// </remarks>
internal sealed class DotNextRaftLog(WriteAheadLog.Options options, IStateMachine stateMachine)
    : WriteAheadLog(options, stateMachine), IAuditTrail<IRaftLogEntry>, IAuditTrail, IRaftLogView
{
    IPersistentState IRaftLogView.AuditTrail => this;

    // The view reads through IAuditTrail, as the cluster does: WriteAheadLog's public members are not virtual, and a
    // member this class re-implements (CommitAsync today) is reached only through the interface.
    long IRaftLogView.LastEntryIndex => ((IAuditTrail)this).LastEntryIndex;

    long IRaftLogView.LastCommittedEntryIndex => ((IAuditTrail)this).LastCommittedEntryIndex;

    ValueTask IRaftLogView.WaitForApplyAsync(long index, CancellationToken token) => ((IAuditTrail)this).WaitForApplyAsync(index, token);

    Task IRaftLogView.InitializeAsync(CancellationToken token) => ((IAuditTrail)this).InitializeAsync(token);

    private readonly FollowerCommitLimit _commitLimit = new();

    /// <summary>This member leads: its commits follow its own quorum, no AppendEntries limits them.</summary>
    public void OnBecameLeader() => _commitLimit.Lift();

    ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntryImpl>(ILogEntryProducer<TEntryImpl> entries, long startIndex,
        bool skipCommitted, CancellationToken token) =>
        _commitLimit.OnAppendEntries(startIndex, entries.RemainingCount) is { } refused
            ? ValueTask.FromException(refused)
            : AppendAsync(entries, startIndex, skipCommitted, token);

    /// <inheritdoc cref="IRaftLogView.HasRoom"/>
    public Func<bool>? HasRoom { get => _commitLimit.HasRoom; set => _commitLimit.HasRoom = value; }

    /// <inheritdoc cref="IRaftLogView.Clamped"/>
    public Action<long, long>? Clamped { get => _commitLimit.Clamped; set => _commitLimit.Clamped = value; }

    ValueTask<long> IAuditTrail.CommitAsync(long endIndex, CancellationToken token) =>
        CommitAsync(_commitLimit.Clamp(endIndex, LastEntryIndex), token);
}
