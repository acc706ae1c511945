using Microsoft.Win32.SafeHandles;

namespace KvStore.TestSupport;

/// <summary>
/// A tmpfs of a few MiB mounted on a temp directory (needs root: <c>mount -t tmpfs -o size=NNm</c>), to give a
/// member a disk that can be filled: <see cref="Fill"/> writes a filler file until the disk is full,
/// <see cref="Free"/> deletes it. Dispose unmounts (lazily if a process still holds a file) and deletes the directory.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    private const string FillerName = "filler";
    private bool _disposed;

    private SmallDisk(string path) => Path = path;

    /// <summary>The mount point.</summary>
    public string Path { get; }

    /// <summary>Bytes the filesystem can still give.</summary>
    public long AvailableBytes => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>Mounts a new tmpfs of <paramref name="megabytes"/> MiB; throws with mount's words when it is refused (not root, no CAP_SYS_ADMIN).</summary>
    public static SmallDisk Mount(int megabytes)
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kvstore-tests-disk", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        var (code, _, err) = ChildProcess.Run("mount", ["-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path], timeout: TimeSpan.FromSeconds(30));
        if (code != 0)
        {
            Directory.Delete(path);
            throw new InvalidOperationException($"mount -t tmpfs -o size={megabytes}m tmpfs {path} failed ({code}): {err}");
        }
        return new SmallDisk(path);
    }

    /// <summary>
    /// Writes a filler file (zeros, really allocated) until the disk refuses more, then gives back
    /// <paramref name="leaveFree"/> bytes of it (room for a small write, not a large one); returns its size.
    /// </summary>
    public long Fill(long leaveFree = 0)
    {
        string filler = System.IO.Path.Combine(Path, FillerName);
        using SafeFileHandle file = File.OpenHandle(filler, FileMode.Append, FileAccess.Write);
        long offset = RandomAccess.GetLength(file);
        foreach (int chunk in (int[])[1 << 20, 4096, 512])
        {
            byte[] zeros = new byte[chunk];
            while (true)
            {
                try
                {
                    RandomAccess.Write(file, zeros, offset);
                    offset += chunk;
                }
                catch (IOException)
                {
                    break; // ENOSPC: try a smaller chunk for the last bytes
                }
            }
        }
        if (leaveFree > 0)
        {
            offset = Math.Max(0, offset - leaveFree);
            RandomAccess.SetLength(file, offset);
        }
        return offset;
    }

    /// <summary>Deletes the filler: the space comes back.</summary>
    public void Free() => File.Delete(System.IO.Path.Combine(Path, FillerName));

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (ChildProcess.Run("umount", [Path], timeout: TimeSpan.FromSeconds(30)).Code != 0)
        {
            ChildProcess.Run("umount", ["-l", Path], timeout: TimeSpan.FromSeconds(30)); // a process still holds a file
        }
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
