using System.Reflection;
using System.Runtime.CompilerServices;
using Etcdserverpb;
using KvStore.Mvcc.Index;
using KvStore.Storage;

namespace KvStore.Mvcc;

public sealed partial class MvccStore
{
    /// <summary>
    /// etcd's Compact: drops the history below <paramref name="revision"/> but the newest version of each key
    /// live at it. Reads and watches below it get <see cref="MvccError.Compacted"/> as soon as this returns; the
    /// old revisions are removed afterwards in batches off the apply path (etcd's scheduleCompaction), holding the
    /// write lock one batch at a time. Compacting at or below the last compaction gives Compacted; beyond the
    /// current revision, FutureRevision. Tested by BatchedCompactionTests.
    /// </summary>
    public MvccResult<CompactionResponse> Compact(long revision, long index = 0) =>
        Write(index, () => CompactLocked(revision));

    /// <summary>Completes when no compaction is scheduled or running (its batches all done).</summary>
    public Task WaitForCompactionAsync() => Volatile.Read(ref _compactionTask);

    private MvccResult<CompactionResponse> CompactLocked(long rev)
    {
        if (rev <= _compactRev) return MvccError.Compacted;
        if (rev > _currentRev) return MvccError.FutureRevision;

        // Remember how many changes revision `rev` had: watchers from exactly `rev` read it after its
        // tombstones are gone.
        long subs = 0;
        while (_records.Read(new Revision(rev, subs)) is not null) subs++;
        Volatile.Write(ref _compactRev, rev);
        _compactSubCount = subs;
        // Recorded with the command: a checkpoint taken before the batches end makes the next open resume them.
        _records.Upsert(RecordCodec.MetaKey, RecordCodec.EncodeMeta(rev, subs, _finishedCompactRev));
        MarkDirty(Revision.EncodedSize);
        ScheduleCompactionLocked();
        return new CompactionResponse { Header = Header() };
    }

    private static int _compactionWarmUpScheduled;

    /// <summary>
    /// Five seconds after the first store of a process opens (past a member's start-up, long before a compaction is
    /// likely), compiles in the background what a compaction first runs: FASTER's log compaction
    /// (<see cref="RecordStore.PrepareLogCompaction"/>, about 200 ms of CPU) and our methods that first run under the write
    /// lock (<see cref="PrepareCompactionCode"/>). Tiered compilation is off, so a method is compiled fully at its first
    /// call: done at the first compaction's start, puts waited 62-75 ms for it; with both done beforehand, at most
    /// 16-25 ms, the load's own tail (tools/maintenance-stall.sh, docs/maintenance.md).
    /// </summary>
    private static void ScheduleCompactionWarmUp()
    {
        if (Interlocked.Exchange(ref _compactionWarmUpScheduled, 1) != 0) return;
        _ = Task.Delay(TimeSpan.FromSeconds(5)).ContinueWith(_ =>
        {
            RecordStore.PrepareLogCompaction();
            PrepareCompactionCode();
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    /// <summary>Compiles the compaction methods that first run under the write lock (BatchedCompactionTests calls it).</summary>
    internal static void PrepareCompactionCode()
    {
        const BindingFlags instance = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
        foreach (string name in new[] { nameof(CompactLocked), nameof(ScheduleCompactionLocked), nameof(CompactBatchLocked),
                     nameof(CompactIndexBatchLocked), nameof(LogCompactionDueLocked) })
        {
            RuntimeHelpers.PrepareMethod(typeof(MvccStore).GetMethod(name, instance)!.MethodHandle);
        }
        RuntimeHelpers.PrepareMethod(typeof(KeyIndex).GetMethod(nameof(KeyIndex.Compact), instance)!.MethodHandle);
    }

    /// <summary>Starts the batch worker when a compaction is unfinished and none runs. Caller holds the write lock.</summary>
    private void ScheduleCompactionLocked()
    {
        if (_compactionRunning || _compactRev <= _finishedCompactRev || _closing) return;
        _compactionRunning = true;
        RecordStore.PrepareLogCompaction();
        _compactionTask = Task.Run(RunCompactionAsync);
    }

    /// <summary>
    /// The batch worker: one batch per write-lock hold, a pause between batches, until the scheduled compaction is
    /// finished; then FASTER's log compaction. Stops between batches when the store closes.
    /// </summary>
    private async Task RunCompactionAsync()
    {
        while (true)
        {
            bool finished, compactLog;
            _lock.EnterWriteLock();
            try
            {
                if (_closing || _compactRev <= _finishedCompactRev)
                {
                    _compactionRunning = false;
                    return;
                }
                finished = CompactBatchLocked(out compactLog);
            }
            finally
            {
                _lock.ExitWriteLock();
            }
            if (compactLog) await CompactLogAsync().ConfigureAwait(false);
            if (!finished) await Task.Delay(Options.CompactionBatchInterval).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One batch: deletes up to <see cref="MvccOptions.CompactionBatchLimit"/> dropped records, or compacts the index
    /// of that many keys, or, with both done, records the compaction finished. Returns true when it finished.
    /// </summary>
    private bool CompactBatchLocked(out bool compactLog)
    {
        compactLog = false;
        long rev = _compactRev;
        int limit = Math.Max(1, Options.CompactionBatchLimit);
        if (_compactingRev != rev)
        {
            _compactingRev = rev; // a newer compaction covers the older one: its keys start over
            _compactCursor = [];
        }
        if (_compactDrops.Count > 0)
        {
            int n = Math.Min(limit, _compactDrops.Count);
            for (int i = 0; i < n; i++) _records.Delete(_compactDrops.Dequeue());
            _deadRecords += n;
            MarkDirty(n * Revision.EncodedSize);
            return false;
        }
        if (_compactCursor is not null)
        {
            CompactIndexBatchLocked(rev, limit);
            return false;
        }
        _finishedCompactRev = rev;
        _records.Upsert(RecordCodec.MetaKey, RecordCodec.EncodeMeta(rev, _compactSubCount, rev));
        MarkDirty(Revision.EncodedSize);
        compactLog = LogCompactionDueLocked();
        return true;
    }

    /// <summary>Compacts the index of the next <paramref name="limit"/> keys from the cursor, noting what to delete.</summary>
    private void CompactIndexBatchLocked(long rev, int limit)
    {
        var batch = new List<KeyIndex>(limit);
        foreach (KeyIndex ki in _index.Scan(_compactCursor!, []))
        {
            batch.Add(ki);
            if (batch.Count == limit) break;
        }
        var dropped = new List<Revision>();
        foreach (KeyIndex ki in batch)
        {
            ki.Compact(rev, dropped);
            if (ki.IsEmpty) _index.Remove(ki.Key);
        }
        foreach (Revision r in dropped) _compactDrops.Enqueue(r);
        _compactCursor = batch.Count < limit ? null : [.. batch[^1].Key, 0]; // the next key after the last one
    }

    /// <summary>
    /// FASTER's log is worth compacting once it is large and compaction deleted many records since the last time.
    /// Caller holds the write lock; the count starts over.
    /// </summary>
    private bool LogCompactionDueLocked()
    {
        if (_records.LogSizeBytes < Options.LogCompactionMinBytes) return false;
        long live = Math.Max(1, _index.Count);
        if (_deadRecords < live) return false; // mostly live: copying it forward would not pay
        _deadRecords = 0;
        return true;
    }

    /// <summary>
    /// Reclaims FASTER log space in steps of <see cref="MvccOptions.LogCompactionStepBytes"/>, with
    /// <see cref="MvccOptions.CompactionBatchInterval"/> between steps, beside the writer and the readers (neither
    /// waits for a step: <see cref="RecordStore.CompactLogStep"/>); the checkpoint that truncates the log is asked for
    /// once, after the last step. Under the write lock a step held every put: one step of about 70 took 0.7-0.9 s
    /// (docs/maintenance.md). A snapshot restore, whose scan of the records must not run beside a step, waits for the
    /// step (<see cref="_logCompactionGate"/>).
    /// </summary>
    private async Task CompactLogAsync()
    {
        long until = _records.CompactableUntil;
        long total = 0;
        while (!_closing)
        {
            long released;
            lock (_logCompactionGate) released = _records.CompactLogStep(until, Options.LogCompactionStepBytes);
            if (released == 0) break;
            total += released;
            await Task.Delay(Options.CompactionBatchInterval).ConfigureAwait(false);
        }
        if (total == 0) return;
        _lock.EnterWriteLock();
        try
        {
            _bytesSinceCheckpoint = Math.Max(_bytesSinceCheckpoint, Options.CheckpointBytes);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }
}
