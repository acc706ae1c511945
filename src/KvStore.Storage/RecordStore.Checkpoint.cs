using System.Buffers.Binary;
using FASTER.core;

namespace KvStore.Storage;

public sealed partial class RecordStore
{
    /// <summary>True while a checkpoint started by <see cref="BeginCheckpoint"/> is still being written.</summary>
    public bool CheckpointInProgress => _checkpointTask is { IsCompleted: false };

    /// <summary>
    /// Starts a checkpoint holding exactly the writes made so far, tagged with <paramref name="appliedIndex"/>
    /// (recovered as <see cref="RecoveredIndex"/>). Writer only: the caller must not write until this returns.
    /// It returns once the version boundary is fixed (microseconds to a few milliseconds); the flush to disk
    /// goes on in the background and the returned task completes when the checkpoint is durable. Returns null
    /// when a previous checkpoint is still running, and a failed task once a write to the store's files failed
    /// (see <see cref="WriteFailed"/>).
    /// </summary>
    public Task? BeginCheckpoint(long appliedIndex)
    {
        if (CheckpointInProgress) return null;
        if (_writeFailure.HasFailed) return _checkpointTask = Task.FromException(_writeFailure.Failed.Result);
        var cookie = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(cookie, appliedIndex);
        _store.CommitCookie = cookie;
        long version = _store.SystemState.Version;
        long beginAddress = _store.Log.BeginAddress; // FASTER records the same begin address in this checkpoint
        if (!_store.TryInitiateFullCheckpoint(out _, CheckpointType.FoldOver)) return null;

        // CPR: writes the writer session makes while at `version` are in this checkpoint, later ones are not.
        // Move the writer across the boundary now, before any further write, so that the checkpoint holds
        // exactly the writes up to appliedIndex.
        var spin = new SpinWait();
        while (_store.SystemState.Version <= version)
        {
            _writer.Refresh();
            spin.SpinOnce();
        }
        _writer.Refresh();
        _checkpointTask = CompleteCheckpointAsync(beginAddress);
        return _checkpointTask;
    }

    /// <summary>
    /// Completes when the checkpoint is durable, or fails with the first write error: FASTER would wait for that
    /// write forever (RecordStoreTests.CheckpointFailsWhenTheDiskIsFull).
    /// </summary>
    private async Task CompleteCheckpointAsync(long beginAddress)
    {
        Task durable = _store.CompleteCheckpointAsync().AsTask();
        await Task.WhenAny(durable, _writeFailure.Failed).ConfigureAwait(false);
        if (_writeFailure.HasFailed) throw await _writeFailure.Failed.ConfigureAwait(false); // also a failed metadata write
        await durable.ConfigureAwait(false);
        // FASTER's checkpoint does not delete the log segments below BeginAddress that CompactLog left behind
        // (2.6.5 only truncates when told to). This checkpoint is durable and starts at beginAddress, and older
        // checkpoints are removed, so no recovery needs those segments any more: delete them (in the background,
        // once every thread has left the epoch in which they could still be read).
        _store.Log.ShiftBeginAddress(beginAddress, truncateLog: true);
    }

    /// <summary>Waits for the checkpoint in progress, if any.</summary>
    public Task WaitForCheckpointAsync() => _checkpointTask ?? Task.CompletedTask;
}
