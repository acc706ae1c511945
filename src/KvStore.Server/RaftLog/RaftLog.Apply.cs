using DotNext.IO.Log;

namespace KvStore.Server;

/// <summary>The log's commit index, its applier (etcd's apply loop over committed entries) and compaction.</summary>
internal sealed partial class RaftLog
{
    /// <summary>
    /// The cluster's commit: clamped by the last AppendEntries (Raft's rule 5), kept as a target, and committed here
    /// only as far as this member's log is durable; the rest follows when the writer syncs. Never waits for the disk.
    /// </summary>
    ValueTask<long> IAuditTrail.CommitAsync(long endIndex, CancellationToken token)
    {
        if (_failure is { } failure) return ValueTask.FromException<long>(Stopped(failure));
        long last = _wal.LastIndex;
        endIndex = Math.Min(_commitLimit.Clamp(endIndex, last), last);
        long before;
        lock (_commitLock)
        {
            before = _commit;
            _commitTarget = Math.Max(_commitTarget, endIndex);
        }
        AdvanceCommit();
        return ValueTask.FromResult(Math.Max(0, Volatile.Read(ref _commit) - before));
    }

    /// <summary>Commits up to min(target, durable index) and wakes the applier; called on commit and after every sync.</summary>
    private void AdvanceCommit()
    {
        long commit;
        lock (_commitLock)
        {
            commit = Math.Min(_commitTarget, _wal.DurableIndex);
            if (commit <= _commit) return;
            _commit = commit;
        }
        _wal.NoteCommit(commit);
        if (_applySignal.CurrentCount == 0)
        {
            try
            {
                _applySignal.Release();
            }
            catch (SemaphoreFullException)
            {
                // woken already by another caller
            }
            catch (ObjectDisposedException)
            {
                // stopping
            }
        }
    }

    ValueTask IAuditTrail.WaitForApplyAsync(CancellationToken token) =>
        _failure is { } failure ? ValueTask.FromException(Stopped(failure))
            : new ValueTask(Volatile.Read(ref _appliedChanged).Task.WaitAsync(token));

    ValueTask IAuditTrail.WaitForApplyAsync(long index, CancellationToken token) => new(WaitForAppliedAsync(index, token));

    ValueTask IRaftLogView.WaitForApplyAsync(long index, CancellationToken token) => new(WaitForAppliedAsync(index, token));

    private async Task WaitForAppliedAsync(long index, CancellationToken token)
    {
        while (true)
        {
            Task changed = Volatile.Read(ref _appliedChanged).Task;
            ThrowIfFailed();
            if (Volatile.Read(ref _applied) >= index) return;
            await changed.WaitAsync(token).ConfigureAwait(false);
        }
    }

    private void PublishApplied(long index)
    {
        if (index <= Volatile.Read(ref _applied)) return;
        Volatile.Write(ref _applied, index);
        Interlocked.Exchange(ref _appliedChanged, NewSignal()).TrySetResult();
    }

    /// <summary>
    /// Applies committed entries in order (a membership entry goes to the configuration storage first, as DotNext's log
    /// does), then drops the segments the state machine's snapshot covers. An exception stops it for good: the state
    /// machine's apply core never throws for a business outcome, so one here is a bug or a broken disk.
    /// </summary>
    private async Task ApplyLoopAsync(CancellationToken token)
    {
        try
        {
            while (!token.IsCancellationRequested)
            {
                await _applyLock.WaitAsync(token).ConfigureAwait(false);
                try
                {
                    long commit = Volatile.Read(ref _commit);
                    for (long index = Volatile.Read(ref _applied) + 1; index <= commit; index = Volatile.Read(ref _applied) + 1)
                        PublishApplied(Math.Max(index, await ApplyAsync(index, token).ConfigureAwait(false)));
                    await CompactAsync(token).ConfigureAwait(false);
                }
                finally
                {
                    _applyLock.Release();
                }
                if (Volatile.Read(ref _commit) <= Volatile.Read(ref _applied)) await _applySignal.WaitAsync(token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Log.ApplyFailed(_logger, Volatile.Read(ref _applied) + 1, e);
            _failure = e;
            Interlocked.Exchange(ref _appliedChanged, NewSignal()).TrySetException(e);
        }
    }

    private async ValueTask<long> ApplyAsync(long index, CancellationToken token)
    {
        KvStore.Wal.WalEntry entry = _wal.Read(index, takeContext: true);
        if (entry.IsConfiguration && ConfigurationStorage is { } storage)
            await storage.SaveConfigurationAsync(new WalLogEntry(entry), index, token).ConfigureAwait(false);
        return await _stateMachine.ApplyAsync(new RaftEntry(index, entry.Term, entry.IsConfiguration, entry.Context, entry.Payload), token)
            .ConfigureAwait(false);
    }

    /// <summary>Deletes whole segments the reported snapshot covers (never the tail), then lets the state machine reclaim.</summary>
    private async ValueTask CompactAsync(CancellationToken token)
    {
        long snapshot = _stateMachine.Snapshot?.Index ?? 0;
        if (snapshot <= _compacted) return;
        await _wal.CompactAsync(Math.Min(snapshot, Volatile.Read(ref _applied)), token).ConfigureAwait(false);
        _compacted = snapshot;
        await _stateMachine.ReclaimGarbageAsync(snapshot, token).ConfigureAwait(false);
    }
}
