namespace KvStore.Mvcc;

public sealed partial class MvccStore
{
    /// <summary>
    /// Notes a change the next checkpoint must hold (<paramref name="bytes"/> of records written; 0 for metadata
    /// such as the consistent index), so that a clean close checkpoints it. Caller holds the write lock.
    /// </summary>
    private void MarkDirty(long bytes) => _bytesSinceCheckpoint = Math.Max(_bytesSinceCheckpoint + bytes, 1);

    /// <summary>
    /// Completes with the first failed write to the engine's files. The engine can then make no further checkpoint
    /// (each fails with this error) and must be closed and reopened from its last checkpoint; never completes while writes succeed.
    /// </summary>
    public Task<IOException> WriteFailed => _records.WriteFailed;

    /// <summary>Starts a checkpoint when enough bytes or time went by since the last one. Caller holds the write lock.</summary>
    private void MaybeCheckpointLocked()
    {
        if (_bytesSinceCheckpoint == 0 || _records.CheckpointInProgress) return;
        bool bySize = _bytesSinceCheckpoint >= Options.CheckpointBytes;
        bool byTime = Options.CheckpointInterval > TimeSpan.Zero &&
                      Environment.TickCount64 - _lastCheckpointTicks >= (long)Options.CheckpointInterval.TotalMilliseconds;
        if (bySize || byTime) BeginCheckpointLocked();
    }

    private Task? BeginCheckpointLocked()
    {
        if (_abandoned) return Task.FromException(Abandoned());
        Task? task = _records.BeginCheckpoint(_consistentIndex);
        if (task is not null)
        {
            _bytesSinceCheckpoint = 0;
            _checkpointIndex = _consistentIndex;
            _lastCheckpointTicks = Environment.TickCount64;
            Volatile.Write(ref _checkpointed, true);
        }
        return task;
    }

    /// <summary>
    /// Checkpoints a store that was just created (no checkpoint recovered, none taken since), so that its files,
    /// the hash index among them, are on disk from the start; does nothing for any other store.
    /// </summary>
    public Task EnsureCheckpointedAsync() =>
        _records.Recovered || Volatile.Read(ref _checkpointed) ? Task.CompletedTask : ForceCheckpointAsync();

    private Task ForceCheckpointAsync()
    {
        _lock.EnterWriteLock();
        try
        {
            MarkDirty(0);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
        return CheckpointAsync();
    }

    /// <summary>
    /// Takes a checkpoint of everything applied so far (with the consistent index) and waits until it is
    /// durable. Writers are held only while the checkpoint's version boundary is set.
    /// </summary>
    public async Task CheckpointAsync()
    {
        while (true)
        {
            await _records.WaitForCheckpointAsync().ConfigureAwait(false);
            Task? started;
            _lock.EnterWriteLock();
            try
            {
                started = BeginCheckpointLocked();
            }
            finally
            {
                _lock.ExitWriteLock();
            }
            if (started is not null)
            {
                await started.ConfigureAwait(false);
                return;
            }
        }
    }
}
