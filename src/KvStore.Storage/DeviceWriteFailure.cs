namespace KvStore.Storage;

/// <summary>
/// The first write FASTER's devices reported failed, shared by the log device and the checkpoint devices of one store.
/// FASTER 2.6.5 only logs such an error: the failed log page is never written again, the flushed-until address
/// stops there for good, and every checkpoint (and, once memory is full, every write) waits for it forever.
/// </summary>
internal sealed class DeviceWriteFailure
{
    private readonly TaskCompletionSource<IOException> _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the first write error; never completes while every write succeeds.</summary>
    public Task<IOException> Failed => _failed.Task;

    public bool HasFailed => _failed.Task.IsCompleted;

    /// <summary>
    /// Records a write of <paramref name="bytes"/> to <paramref name="file"/> that ended with FASTER's <paramref name="errorCode"/>.
    /// </summary>
    public void Report(string file, uint bytes, uint errorCode)
    {
        if (HasFailed) return;
        // The device reports no errno (ManagedLocalStorageDevice gives uint.MaxValue for most IO errors): a disk that
        // cannot hold the write now is named as ENOSPC is, otherwise the error code is all there is.
        long free = FreeBytes(file);
        string cause = free < bytes ? $"no space left on device ({free} bytes free)" : $"error code {errorCode}";
        _failed.TrySetResult(new IOException($"writing {bytes} bytes to the engine's file '{file}' failed: {cause}"));
    }

    private static long FreeBytes(string file)
    {
        try
        {
            return new DriveInfo(Path.GetDirectoryName(Path.GetFullPath(file))!).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return long.MaxValue;
        }
    }
}
