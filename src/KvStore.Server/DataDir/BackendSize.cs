namespace KvStore.Server.DataDir;

/// <summary>
/// The size etcd reports as its db size, for a kvstore member: the bytes of every file under
/// &lt;data-dir&gt;/member except the Raft log (the engine's log files and checkpoints, its hash index among
/// them, the snapshot marker, the member record), as etcd counts its backend file and not its WAL. The walk is
/// cached for a second: the quota check asks on every write. Tested by DbSizeTests.
/// </summary>
internal sealed class BackendSize(string memberDir, string walDir)
{
    private static readonly long RefreshTicks = TimeSpan.FromSeconds(1).Ticks;
    private readonly string _walDir = Path.GetFullPath(walDir).TrimEnd(Path.DirectorySeparatorChar);
    private long _bytes;
    private long _measuredAt; // DateTime ticks of the last walk; 0: never

    /// <summary>The bytes on disk, measured at most a second ago.</summary>
    public long Bytes
    {
        get
        {
            long now = DateTime.UtcNow.Ticks;
            if (now - Volatile.Read(ref _measuredAt) >= RefreshTicks)
            {
                Volatile.Write(ref _bytes, Measure());
                Volatile.Write(ref _measuredAt, now);
            }
            return Volatile.Read(ref _bytes);
        }
    }

    /// <summary>Measures again at the next read (after a checkpoint or a restore changed the files).</summary>
    public void Invalidate() => Volatile.Write(ref _measuredAt, 0);

    private long Measure()
    {
        long total = 0;
        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(memberDir));
        while (pending.Count > 0)
        {
            DirectoryInfo dir = pending.Pop();
            try
            {
                foreach (FileSystemInfo entry in dir.EnumerateFileSystemInfos())
                {
                    if (entry is FileInfo file)
                    {
                        total += file.Length;
                    }
                    else if (entry is DirectoryInfo sub && (entry.Attributes & FileAttributes.ReparsePoint) == 0
                             && !string.Equals(sub.FullName.TrimEnd(Path.DirectorySeparatorChar), _walDir, StringComparison.Ordinal))
                    {
                        pending.Push(sub);
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // a checkpoint or log compaction removed the directory (or a file in it) while it was listed
            }
        }
        return total;
    }
}
