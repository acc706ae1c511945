using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace KvStore.Wal;

/// <summary>
/// One segment file, <c>{seq:x16}-{firstIndex:x16}.wal</c>, preallocated with fallocate mode 0 so fdatasync has no size
/// change to journal (falling back to a growing file where fallocate fails), starting with a SegmentHeader record.
/// WalSegmentTests hold the name, the preallocation and the fallback.
/// </summary>
internal sealed partial class WalSegment : IDisposable
{
    /// <summary>The magic the header record carries.</summary>
    public static ReadOnlySpan<byte> Magic => "KVWAL001"u8;

    /// <summary>The format version in the header record.</summary>
    public const int Version = 1;

    /// <summary>Bytes of the header record (32 + 8 magic + 8 version).</summary>
    public const int HeaderBytes = WalRecord.HeaderSize + 16;

    private WalSegment(long seq, long firstIndex, string path, SafeFileHandle handle)
    {
        Seq = seq;
        FirstIndex = firstIndex;
        Path = path;
        Handle = handle;
    }

    /// <summary>The segment's sequence number, one more than the previous segment's.</summary>
    public long Seq { get; }

    /// <summary>The first index written in this segment (its first batch's first index).</summary>
    public long FirstIndex { get; }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <summary>The file's name, as errors and warnings show it.</summary>
    public string Name => System.IO.Path.GetFileName(Path);

    /// <summary>The open read-write handle.</summary>
    public SafeFileHandle Handle { get; }

    /// <summary>The segment's file name for (seq, firstIndex).</summary>
    public static string FileName(long seq, long firstIndex) => $"{seq:x16}-{firstIndex:x16}.wal";

    /// <summary>Parses a segment file name; false for any other file.</summary>
    public static bool TryParse(string name, out long seq, out long firstIndex)
    {
        seq = firstIndex = 0;
        return name.Length == 37 && name[16] == '-' && name.EndsWith(".wal", StringComparison.Ordinal)
            && long.TryParse(name.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out seq)
            && long.TryParse(name.AsSpan(17, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out firstIndex);
    }

    /// <summary>Opens an existing segment read-write.</summary>
    public static WalSegment Open(string path, long seq, long firstIndex) =>
        new(seq, firstIndex, path, File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read));

    /// <summary>
    /// Creates a segment: preallocates <paramref name="bytes"/> (or grows on demand when fallocate fails), writes the
    /// header, fdatasyncs the file and fsyncs the directory.
    /// </summary>
    public static WalSegment Create(string directory, long seq, long firstIndex, long bytes, ILogger logger)
    {
        string path = System.IO.Path.Combine(directory, FileName(seq, firstIndex));
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            int errno = WalNative.Allocate(handle, bytes);
            if (errno != 0)
            {
                RandomAccess.SetLength(handle, 0); // a failed fallocate may leave blocks allocated: give them back
                LogNoPreallocation(logger, path, bytes, errno);
            }
            Span<byte> payload = stackalloc byte[16];
            Magic.CopyTo(payload);
            BinaryPrimitives.WriteInt64LittleEndian(payload[8..], Version);
            RandomAccess.Write(handle, WalRecord.Encode(WalRecordType.SegmentHeader, false, firstIndex, 0, payload), 0);
            WalNative.DataSync(handle);
            WalNative.SyncDirectory(directory);
            return new WalSegment(seq, firstIndex, path, handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Closes the handle.</summary>
    public void Dispose() => Handle.Dispose();

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "WAL segment {Path}: fallocate of {Bytes} bytes failed (errno {Errno}); the segment grows as it is written")]
    private static partial void LogNoPreallocation(ILogger logger, string path, long bytes, int errno);
}
