using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging;

namespace KvStore.Server;

/// <summary>
/// The Raft log on our own WAL (<see cref="KvStore.Wal.Wal"/>: one pwritev and one fdatasync per group commit), behind
/// DotNext's persistent-state contract (docs/wal-design.md). DotNext's <see cref="WriteAheadLog"/> is the base only
/// because no type outside DotNext can implement <see cref="IPersistentState"/>: the base keeps term, vote and the
/// configuration storage (its <c>state</c> file, written through before a vote is answered); every log operation is
/// re-implemented here through <see cref="IAuditTrail{T}"/> and <see cref="IAuditTrail"/>, and the base's own log
/// stays empty. Entries live under <c>{dir}/log</c>.
/// <para>Rules: the commit index never passes this member's durable index (a leader's append runs in parallel with
/// replication and counts once synced); a follower's AppendEntries returns only once its entries are durable, and
/// commits at most the last entry it carried (Raft's rule 5, <see cref="OnBecameLeader"/> lifts it). Appends follow
/// etcd's findConflict: an entry already held with the same term is kept, the first conflict truncates the suffix.
/// RaftLogDifferentialTests drive it and DotNext's log with the same script and compare.</para>
/// </summary>
internal sealed partial class RaftLog : WriteAheadLog, IAuditTrail<IRaftLogEntry>, IAuditTrail, IRaftLogView
{
    private readonly KvStore.Wal.Wal _wal;
    private readonly RaftStateMachine _stateMachine;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _appendLock = new(1, 1); // appends, truncations and installs, one at a time
    private readonly SemaphoreSlim _applyLock = new(1, 1); // one apply pass or one install at a time
    private readonly SemaphoreSlim _applySignal = new(0, 1); // the commit moved
    private readonly Lock _commitLock = new();
    private readonly CancellationTokenSource _stopping = new();
    private TaskCompletionSource _appliedChanged = NewSignal(); // completed and replaced whenever _applied moves
    private Task? _initialized;
    private Task _applier = Task.CompletedTask;
    private long _commit; // committed and durable here; _commitLock for writes
    private long _commitTarget; // the cluster's commit, possibly past the durable index; _commitLock
    private long _applied;
    private long _compacted; // the snapshot index the log was last compacted to; applier only
    private readonly FollowerCommitLimit _commitLimit = new();
    private volatile Exception? _failure;

    /// <param name="directory">The member's wal directory: the base keeps <c>state</c> there, our segments go in <c>log/</c>.</param>
    /// <param name="segmentBytes">Each segment's preallocated size.</param>
    /// <param name="faults">Fault points of tests (<see cref="Failpoints"/>), null in production.</param>
    public RaftLog(string directory, RaftStateMachine stateMachine, ILogger logger,
        long segmentBytes = KvStore.Wal.WalOptions.DefaultSegmentBytes, KvStore.Wal.IWalFaults? faults = null)
        : base(new Options { Location = directory, ChunkSize = 4096 }, new LogShellStateMachine(stateMachine.Version))
    {
        _stateMachine = stateMachine;
        _logger = logger;
        _wal = KvStore.Wal.Wal.Open(new KvStore.Wal.WalOptions(Path.Combine(directory, "log"), logger)
        {
            SegmentBytes = segmentBytes,
            Faults = faults,
            Synced = ServerMetrics.RecordWalFsync,
        });
        _wal.Durable += _ => AdvanceCommit();
    }

    IPersistentState IRaftLogView.AuditTrail => this;

    long IAuditTrail.LastEntryIndex => _wal.LastIndex;

    long IAuditTrail.LastCommittedEntryIndex => Volatile.Read(ref _commit);

    bool IAuditTrail.IsLogEntryLengthAlwaysPresented => true;

    long IRaftLogView.LastEntryIndex => _wal.LastIndex;

    long IRaftLogView.LastCommittedEntryIndex => Volatile.Read(ref _commit);

    long IRaftLogView.LastAppliedIndex => Volatile.Read(ref _applied);

    /// <inheritdoc cref="IRaftLogView.HasRoom"/>
    public Func<bool>? HasRoom { get => _commitLimit.HasRoom; set => _commitLimit.HasRoom = value; }

    /// <inheritdoc cref="IRaftLogView.Clamped"/>
    public Action<long, long>? Clamped { get => _commitLimit.Clamped; set => _commitLimit.Clamped = value; }

    /// <summary>This member leads: its commits follow its own quorum, no AppendEntries limits them.</summary>
    public void OnBecameLeader() => _commitLimit.Lift();

    Task IRaftLogView.InitializeAsync(CancellationToken token) => InitializeAsync(token);

    Task IAuditTrail.InitializeAsync(CancellationToken token) => InitializeAsync(token);

    /// <summary>
    /// Opens the log once (EtcdServer and RaftCluster.StartAsync both call this): lines the WAL up with the state
    /// machine's snapshot, then replays the committed entries through the applier.
    /// </summary>
    public override Task InitializeAsync(CancellationToken token = default)
    {
        lock (_commitLock) _initialized ??= OpenAsync(token);
        return _initialized;
    }

    private async Task OpenAsync(CancellationToken token)
    {
        ISnapshot? snapshot = _stateMachine.Snapshot;
        long snapshotIndex = snapshot?.Index ?? 0, snapshotTerm = snapshot?.Term ?? 0;
        long first = _wal.FirstIndex, last = _wal.LastIndex;
        if (snapshotIndex > last || (snapshotIndex >= first && _wal.TermAt(snapshotIndex) != snapshotTerm))
        {
            // The snapshot is past the log, or the log after it belongs to another history (a crash between an install's
            // marker and its reset record): the log restarts after the snapshot.
            _wal.ResetAfterSnapshot(snapshotIndex, snapshotTerm);
            await _wal.WaitDurableAsync(snapshotIndex, token).ConfigureAwait(false);
            await _wal.CompactAsync(snapshotIndex, token).ConfigureAwait(false);
        }
        else if (first > snapshotIndex + 1)
        {
            throw new InvalidDataException(
                $"the raft log starts at index {first}, after the snapshot at {snapshotIndex}: entries {snapshotIndex + 1}-{first - 1} are missing");
        }
        long commit = Math.Min(_wal.LastIndex, Math.Max(Math.Max(_wal.CommitHint, snapshotIndex), _stateMachine.EngineRaftIndex));
        _applied = snapshotIndex;
        _compacted = _wal.FirstIndex - 1;
        lock (_commitLock) _commit = _commitTarget = commit;
        _applier = Task.Run(() => ApplyLoopAsync(_stopping.Token), CancellationToken.None);
        Log.Opened(_logger, _wal.FirstIndex, _wal.LastIndex, commit, snapshotIndex);
        await WaitForAppliedAsync(commit, token).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override async ValueTask DisposeAsyncCore()
    {
        await StopAsync().ConfigureAwait(false);
        await base.DisposeAsyncCore().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) StopAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }

    private async ValueTask StopAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        _stopping.Cancel();
        await _applier.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _wal.Dispose(); // writes what is queued and the last commit hint
        _appendLock.Dispose();
        _applyLock.Dispose();
        _applySignal.Dispose();
        _stopping.Dispose();
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure) throw Stopped(failure);
    }

    /// <summary>What every call raises once the applier has stopped (DotNext's contract: the log is then unusable).</summary>
    private static InvalidOperationException Stopped(Exception failure) => new("the raft log stopped applying entries", failure);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information,
            Message = "raft log opened: entries {First}-{Last}, committed through {Commit}, snapshot at {Snapshot}")]
        public static partial void Opened(ILogger logger, long first, long last, long commit, long snapshot);

        [LoggerMessage(Level = LogLevel.Critical, Message = "applying raft entry {Index} failed; the log stops applying")]
        public static partial void ApplyFailed(ILogger logger, long index, Exception e);
    }
}
