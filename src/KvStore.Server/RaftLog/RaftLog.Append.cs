using DotNext.IO;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;

namespace KvStore.Server;

/// <summary>The log's appends: the leader's (buffered, durable later), a follower's (durable on return), and an install.</summary>
internal sealed partial class RaftLog
{
    /// <summary>
    /// The leader appends after the last entry and returns once the entry is queued for the writer: replication starts
    /// at once and the commit waits for this member's fdatasync (<see cref="AdvanceCommit"/>), etcd's parallel append.
    /// </summary>
    async ValueTask<long> IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(TEntry entry, CancellationToken token)
    {
        if (entry.IsSnapshot) throw new InvalidOperationException("a snapshot cannot be appended at the end of the log");
        ThrowIfFailed();
        ReadOnlyMemory<byte> payload = await PayloadAsync(entry, copy: false, token).ConfigureAwait(false);
        object? context = entry is IInputLogEntry input ? input.Context : null;
        await _appendLock.WaitAsync(token).ConfigureAwait(false);
        try
        {
            return _wal.Append(entry.Term, payload, entry.IsConfiguration, context);
        }
        finally
        {
            _appendLock.Release();
        }
    }

    /// <summary>A snapshot from the leader (installed into the state machine), or one entry written at startIndex.</summary>
    async ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(TEntry entry, long startIndex, CancellationToken token)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startIndex);
        ThrowIfFailed();
        if (entry.IsSnapshot)
        {
            await InstallAsync(entry, startIndex, token).ConfigureAwait(false);
            return;
        }
        await AppendEntriesAsync(new SingleEntryProducer<TEntry>(entry), startIndex, skipCommitted: false, token).ConfigureAwait(false);
    }

    /// <summary>
    /// A follower's AppendEntries: refused while the disk is full (<see cref="FollowerCommitLimit"/>), committed at most up to the
    /// last entry carried (Raft's rule 5), etcd's findConflict, and durable before it returns (etcd persists before it
    /// answers). RaftStateMachineCoreTests.TheViewSeesTheCommitTheClusterClamped holds the limit.
    /// </summary>
    ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(ILogEntryProducer<TEntry> entries, long startIndex, bool skipCommitted,
        CancellationToken token)
    {
        if (_commitLimit.OnAppendEntries(startIndex, entries.RemainingCount) is { } refused) return ValueTask.FromException(refused);
        return AppendEntriesAsync(entries, startIndex, skipCommitted, token);
    }

    private async ValueTask AppendEntriesAsync<TEntry>(ILogEntryProducer<TEntry> entries, long startIndex, bool skipCommitted,
        CancellationToken token)
        where TEntry : IRaftLogEntry
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startIndex);
        ThrowIfFailed();
        await _appendLock.WaitAsync(token).ConfigureAwait(false);
        try
        {
            if (startIndex > _wal.LastIndex + 1) throw new ArgumentOutOfRangeException(nameof(startIndex), startIndex, "past the end of the log");
            // A target left from this member's own leadership must not commit what another leader writes at those indexes.
            lock (_commitLock) _commitTarget = _commit;
            long index = startIndex;
            while (await entries.MoveNextAsync().ConfigureAwait(false))
            {
                TEntry entry = entries.Current;
                if (entry is null || entry.IsSnapshot) throw new InvalidOperationException("a snapshot among the entries to append");
                if (index <= Volatile.Read(ref _commit))
                {
                    if (!skipCommitted) throw new InvalidOperationException($"entry {index} is committed and cannot be replaced");
                }
                else if (index > _wal.LastIndex || _wal.TermAt(index) != entry.Term)
                {
                    // The transport reuses its buffer for the next entry: keep a copy.
                    ReadOnlyMemory<byte> payload = await PayloadAsync(entry, copy: true, token).ConfigureAwait(false);
                    if (index <= _wal.LastIndex) _wal.Write(index, entry.Term, payload, entry.IsConfiguration);
                    else _wal.Append(entry.Term, payload, entry.IsConfiguration, entry is IInputLogEntry input ? input.Context : null);
                }
                index++;
            }
            // Entries kept because they were already here (a former leader's own) may not be synced yet either.
            if (index > startIndex) await _wal.WaitDurableAsync(index - 1, token).ConfigureAwait(false);
        }
        finally
        {
            _appendLock.Release();
        }
    }

    /// <summary>
    /// Installs the leader's snapshot at <paramref name="index"/> with the applier paused: the state machine spools and
    /// records it, the log restarts after it unless it already holds the snapshot's entry (Raft then keeps the suffix),
    /// and commit and applied index move to it.
    /// </summary>
    private async Task InstallAsync<TEntry>(TEntry snapshot, long index, CancellationToken token) where TEntry : IRaftLogEntry
    {
        await _appendLock.WaitAsync(token).ConfigureAwait(false);
        try
        {
            await _applyLock.WaitAsync(token).ConfigureAwait(false);
            try
            {
                if (index <= Volatile.Read(ref _commit)) throw new InvalidOperationException($"snapshot at {index} is not past the commit index");
                long applied = await _stateMachine.InstallSnapshotAsync(snapshot, index, token).ConfigureAwait(false);
                if (_wal.TermAt(index) != snapshot.Term || index > _wal.LastIndex) _wal.ResetAfterSnapshot(index, snapshot.Term);
                await _wal.WaitDurableAsync(index, token).ConfigureAwait(false);
                lock (_commitLock) _commit = _commitTarget = Math.Max(_commit, index);
                await _wal.CompactAsync(index, token).ConfigureAwait(false); // the segments before the snapshot
                _compacted = Math.Max(_compacted, index);
                _wal.NoteCommit(index);
                PublishApplied(Math.Max(applied, index));
            }
            finally
            {
                _applyLock.Release();
            }
        }
        finally
        {
            _appendLock.Release();
        }
    }

    /// <summary>The entry's bytes: its own memory when it has one (copied if asked), else read out.</summary>
    private static async ValueTask<ReadOnlyMemory<byte>> PayloadAsync<TEntry>(TEntry entry, bool copy, CancellationToken token)
        where TEntry : IRaftLogEntry
    {
        if (entry.TryGetMemory(out ReadOnlyMemory<byte> memory)) return copy ? memory.ToArray() : memory;
        if (entry.Length == 0) return ReadOnlyMemory<byte>.Empty;
        return await entry.ToByteArrayAsync(token: token).ConfigureAwait(false);
    }

    /// <summary>One entry as a producer (an append at an index goes through the AppendEntries path).</summary>
    private sealed class SingleEntryProducer<TEntry>(TEntry entry) : ILogEntryProducer<TEntry> where TEntry : IRaftLogEntry
    {
        private bool _moved;

        public TEntry Current => entry;

        public long RemainingCount => _moved ? 0 : 1;

        public ValueTask<bool> MoveNextAsync()
        {
            bool next = !_moved;
            _moved = true;
            return ValueTask.FromResult(next);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
