using Microsoft.Extensions.Logging;

namespace KvStore.Server.DataDir;

/// <summary>
/// Whether the filesystems under the member dir and the Raft log hold <see cref="ReserveBytes"/> free, asked before
/// each write is proposed (one statvfs each). The Raft log writes through memory-mapped chunk files, and a page that
/// cannot be backed on a full disk kills the process with SIGBUS (no message, the write outcome unknown): while the
/// reserve is gone the member refuses writes with NOSPACE, refuses the leader's entries and stands by (never leads),
/// and all of that ends once space returns. Tested by DiskFullTests (KvStore.Cluster.Tests), beside etcd 3.4.
/// </summary>
internal sealed partial class DiskRoom(string memberDir, string walDir, ILogger logger)
{
    /// <summary>Room for the entries already in flight: a few of the Raft log's 512 KiB chunks and the engine's page flushes.</summary>
    public const long ReserveBytes = 8L << 20;

    private int _full; // 1 while writes are refused, so that the change is logged once each way

    /// <summary>Called with the new state when the reserve goes (false) or comes back (true).</summary>
    public Action<bool>? RoomChanged { get; set; }

    /// <summary>True when both filesystems have the reserve free (or cannot be asked).</summary>
    public bool HasRoom()
    {
        long free = Free();
        bool room = free >= ReserveBytes;
        if (Interlocked.Exchange(ref _full, room ? 0 : 1) == (room ? 1 : 0))
        {
            if (room) Log.RoomAgain(logger, free);
            else Log.NoRoom(logger, free, ReserveBytes);
            RoomChanged?.Invoke(room);
        }
        return room;
    }

    /// <summary>
    /// True when both filesystems hold <paramref name="bytes"/> beyond the reserve (a snapshot's engine restore, which
    /// must not start without room to finish: a FASTER write refused midway stops the member, see EngineWriteFailure).
    /// </summary>
    public bool HasRoomFor(long bytes, out long free)
    {
        free = Free();
        return free >= ReserveBytes + bytes;
    }

    /// <summary>Free bytes on the fuller of the two filesystems.</summary>
    private long Free() => Math.Min(FreeBytes(memberDir), FreeBytes(walDir));

    private static long FreeBytes(string dir)
    {
        try
        {
            return new DriveInfo(dir).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return long.MaxValue;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Error, Message =
            "no space left on device: {Free} bytes free under the data dir, below the {Reserve}-byte reserve; refusing writes until space returns")]
        public static partial void NoRoom(ILogger logger, long free, long reserve);

        [LoggerMessage(Level = LogLevel.Information, Message = "{Free} bytes free under the data dir again; accepting writes")]
        public static partial void RoomAgain(ILogger logger, long free);
    }
}
