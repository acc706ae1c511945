using Microsoft.Extensions.Logging;

namespace KvStore.Server.DataDir;

/// <summary>
/// Whether the filesystems under the member dir and the Raft log hold <see cref="ReserveBytes"/> free, asked before
/// each write is proposed and before each AppendEntries is taken. The engine's writes fail on a full disk (the member
/// then stops, see DeviceWriteFailure) and a WAL segment cut needs a whole preallocated segment: while the reserve is
/// gone the member refuses writes with NOSPACE, refuses the leader's entries and stands by (never leads), and all of
/// that ends once space returns. Tested by DiskFullTests (KvStore.Cluster.Tests), beside etcd 3.4.
/// <para>The free space is asked (one statvfs per filesystem) at most every <see cref="RecheckInterval"/> or after
/// <see cref="RecheckBytes"/> admitted here, and always before a refusal or while refusing; in between, the last answer
/// less the bytes admitted since is used. One statvfs per write cost about 3% of a three-member cluster's CPU under
/// 100 putting clients (docs/performance.md). DiskRoomTests hold the rule.</para>
/// </summary>
internal sealed partial class DiskRoom
{
    /// <summary>Room for what is in flight between two checks: the engine's page flushes, the entries of one batch.</summary>
    public const long ReserveBytes = 8L << 20;

    /// <summary>Admitted bytes after which the filesystems are asked again.</summary>
    public const long RecheckBytes = 1L << 20;

    /// <summary>The longest an answer is used (replicated entries and the engine's flushes are not counted in between).</summary>
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromMilliseconds(100);

    private readonly string _memberDir;
    private readonly string _walDir;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Func<string, long> _freeBytes;
    private readonly Lock _lock = new();
    private long _checkedAt; // TimeProvider timestamp of the last statvfs; _lock
    private long _free; // free bytes then, less what was admitted since (0 before the first statvfs: below the reserve); _lock
    private long _admitted; // bytes admitted since; _lock
    private int _full; // 1 while writes are refused, so that the change is logged once each way

    /// <param name="freeBytes">The free bytes of the filesystem holding a directory (tests give their own).</param>
    public DiskRoom(string memberDir, string walDir, ILogger logger, TimeProvider? time = null, Func<string, long>? freeBytes = null)
    {
        _memberDir = memberDir;
        _walDir = walDir;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _freeBytes = freeBytes ?? FreeBytes;
    }

    /// <summary>Called with the new state when the reserve goes (false) or comes back (true).</summary>
    public Action<bool>? RoomChanged { get; set; }

    /// <summary>True when both filesystems have the reserve free (or cannot be asked).</summary>
    public bool HasRoom() => HasRoom(0);

    /// <summary>
    /// True when both filesystems have the reserve free beyond <paramref name="bytes"/> (or cannot be asked); the bytes
    /// of an admitted write count against the last answer until the filesystems are asked again.
    /// </summary>
    public bool HasRoom(long bytes)
    {
        long free, measured;
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            if (_admitted + bytes >= RecheckBytes || _free - bytes < ReserveBytes || _time.GetElapsedTime(_checkedAt, now) >= RecheckInterval)
            {
                _free = Free();
                _checkedAt = now;
                _admitted = 0;
            }
            measured = _free;
            free = _free - bytes;
            if (free >= ReserveBytes)
            {
                _free = free;
                _admitted += bytes;
            }
        }
        bool room = free >= ReserveBytes;
        if (Interlocked.Exchange(ref _full, room ? 0 : 1) == (room ? 1 : 0))
        {
            if (room) Log.RoomAgain(_logger, measured);
            else Log.NoRoom(_logger, measured, ReserveBytes);
            RoomChanged?.Invoke(room);
        }
        return room;
    }

    /// <summary>
    /// True when both filesystems hold <paramref name="bytes"/> beyond the reserve (a snapshot's engine restore, which
    /// must not start without room to finish: a FASTER write refused midway stops the member, see EngineWriteFailure).
    /// Always asks the filesystems.
    /// </summary>
    public bool HasRoomFor(long bytes, out long free)
    {
        free = Free();
        return free >= ReserveBytes + bytes;
    }

    /// <summary>Free bytes on the fuller of the two filesystems.</summary>
    private long Free() => Math.Min(_freeBytes(_memberDir), _freeBytes(_walDir));

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
