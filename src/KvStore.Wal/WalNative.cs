using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace KvStore.Wal;

/// <summary>
/// The libc calls .NET does not expose: fdatasync (RandomAccess.FlushToDisk is fsync), fallocate mode 0 (FileStream's
/// preallocation uses FALLOC_FL_KEEP_SIZE, which leaves i_size to grow on every append) and a directory's fsync.
/// </summary>
internal static partial class WalNative
{
    /// <summary>fdatasync(2); throws IOException with errno on failure.</summary>
    public static void DataSync(SafeFileHandle handle)
    {
        if (FDataSync(handle) != 0) throw new IOException($"fdatasync failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>fallocate(fd, 0, 0, length): the errno on failure (ENOSPC, EOPNOTSUPP), 0 on success.</summary>
    public static int Allocate(SafeFileHandle handle, long length) => FAllocate(handle, 0, 0, length) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>fsync of a directory, so a created, renamed or deleted segment name is durable.</summary>
    public static void SyncDirectory(string path)
    {
        int fd = Open(path, 0);
        if (fd < 0) throw new IOException($"open {path} failed: errno {Marshal.GetLastPInvokeError()}");
        try
        {
            if (FSync(fd) != 0) throw new IOException($"fsync {path} failed: errno {Marshal.GetLastPInvokeError()}");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FDataSync(SafeFileHandle fd);

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int FAllocate(SafeFileHandle fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
