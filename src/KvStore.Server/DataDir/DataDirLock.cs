using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace KvStore.Server.DataDir;

/// <summary>
/// An exclusive flock(2) on a file, held until disposed (or the process ends): one member per data dir, as etcd
/// holds a flock on its backend file. flock is what bbolt takes too, so a lock on an etcd member's
/// <c>member/snap/db</c> also waits for a live etcd. Tested by DataDirLockTests (two processes on one data dir).
/// </summary>
public sealed partial class DataDirLock : IDisposable
{
    /// <summary>The file a kvstore member locks in its data dir.</summary>
    public const string FileName = "kvstore.lock";

    private const int LockShared = 1, LockExclusive = 2, LockNonBlocking = 4;
    private const int EWouldBlock = 11;
    private const int SharingViolation = unchecked((int)0x80070020); // .NET's HResult (Windows) or errno (Unix) when another process holds the lock

    private readonly SafeFileHandle _file;

    private DataDirLock(string path, SafeFileHandle file)
    {
        Path = path;
        _file = file;
    }

    /// <summary>The locked file.</summary>
    public string Path { get; }

    /// <summary>
    /// Locks <paramref name="path"/> (created when missing, never truncated) if no other process holds it: the lock,
    /// or null while another process holds it. <paramref name="shared"/>: a reader's lock (bbolt's read-only open),
    /// which only an exclusive holder (a live etcd) keeps out. I/O errors (no such directory, no permission) are thrown.
    /// </summary>
    public static DataDirLock? TryAcquire(string path, bool shared = false)
    {
        SafeFileHandle file;
        try
        {
            // .NET itself takes flock(LOCK_EX | LOCK_NB) for FileShare.None and LOCK_SH otherwise on Unix; the explicit
            // flock below holds the lock also where .NET's locking is switched off (DOTNET_SYSTEM_IO_DISABLEFILELOCKING).
            file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, shared ? FileShare.ReadWrite : FileShare.None);
        }
        catch (IOException e) when (e.HResult is SharingViolation or EWouldBlock)
        {
            return null;
        }
        if (Flock(file, (shared ? LockShared : LockExclusive) | LockNonBlocking) == 0) return new DataDirLock(path, file);
        int errno = Marshal.GetLastPInvokeError();
        file.Dispose();
        if (errno == EWouldBlock) return null;
        throw new IOException($"flock {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    /// <summary>
    /// Waits for the lock on <paramref name="path"/>, polling every 100 ms; <paramref name="stillWaiting"/> is called
    /// once after <paramref name="patience"/> (etcd logs then that another process holds the file lock).
    /// </summary>
    public static async Task<DataDirLock> AcquireAsync(string path, TimeSpan patience, Action stillWaiting, CancellationToken cancellationToken,
        bool shared = false)
    {
        DateTime warnAt = DateTime.UtcNow + patience;
        bool warned = false;
        while (true)
        {
            if (TryAcquire(path, shared) is { } acquired) return acquired;
            if (!warned && DateTime.UtcNow >= warnAt)
            {
                warned = true;
                stillWaiting();
            }
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => _file.Dispose(); // closing the descriptor releases the flock

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(SafeFileHandle fd, int operation);
}
