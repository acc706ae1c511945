using System.Runtime.InteropServices;

namespace KvStore.Host.Startup;

/// <summary>The few libc calls whose errno the startup checks report in Go's words ("permission denied").</summary>
internal static partial class Posix
{
    public const int ENOENT = 2, EEXIST = 17, ENOTDIR = 20;

    /// <summary>mkdir(2) with mode 0700 (etcd's PrivateDirMode): 0, or the errno.</summary>
    public static int Mkdir(string path) => MkdirNative(path, Convert.ToUInt32("700", 8)) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Opens and lists <paramref name="path"/> as a directory (Go's os.Open + Readdirnames): 0, or the errno.</summary>
    public static int ListDir(string path)
    {
        nint dir = OpenDir(path);
        if (dir == 0) return Marshal.GetLastPInvokeError();
        CloseDir(dir);
        return 0;
    }

    /// <summary>Creates and removes <c>path</c> (etcd's IsDirWriteable with its .touch file): 0, or the errno of the create.</summary>
    public static int Touch(string path)
    {
        const int WriteOnly = 1, Create = 0x40, Truncate = 0x200;
        int fd = Open(path, WriteOnly | Create | Truncate, Convert.ToUInt32("600", 8));
        if (fd < 0) return Marshal.GetLastPInvokeError();
        Close(fd);
        File.Delete(path);
        return 0;
    }

    /// <summary>An errno as Go prints it: strerror with a lower-case first letter ("permission denied").</summary>
    public static string ErrorText(int errno)
    {
        string text = Marshal.GetPInvokeErrorMessage(errno);
        return text.Length == 0 ? text : char.ToLowerInvariant(text[0]) + text[1..];
    }

    [LibraryImport("libc", EntryPoint = "mkdir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MkdirNative(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "opendir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial nint OpenDir(string path);

    [LibraryImport("libc", EntryPoint = "closedir")]
    private static partial int CloseDir(nint dir);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
