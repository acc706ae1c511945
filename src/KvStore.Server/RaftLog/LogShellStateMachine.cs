using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace KvStore.Server;

/// <summary>
/// The state machine <see cref="RaftLog"/>'s DotNext base is built with: the base only keeps term, vote and the
/// configuration storage, its own log stays empty, so nothing reaches this but the replication version the cluster
/// reads from it (<c>IPersistentState.Version</c> forwards to <see cref="Version"/>). DotNextLogImport opens an old log with it.
/// </summary>
internal sealed class LogShellStateMachine(int version, ISnapshot? snapshot = null) : IStateMachine
{
    public int Version => version;

    /// <summary>None for RaftLog's base; the state machine's when an old log is imported (its entries before it are gone).</summary>
    public ISnapshot? Snapshot => snapshot;

    public ValueTask<long> ApplyAsync(LogEntry entry, CancellationToken token) => ValueTask.FromResult(entry.Index);

    public ValueTask ReclaimGarbageAsync(long watermark, CancellationToken token) => ValueTask.CompletedTask;
}
