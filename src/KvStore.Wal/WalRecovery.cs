using System.Buffers.Binary;
using Microsoft.Extensions.Logging;

namespace KvStore.Wal;

/// <summary>
/// Open's scan: reads every segment, rebuilds the index and the tail cache, and applies the torn-tail rule. A bad record
/// (short, zeroed, CRC mismatch, index out of sequence) in the LAST batch of the LAST segment is truncated (zeroed and
/// fdatasynced, with a Warning naming segment, offset and index); anywhere else it is a WalCorruptException.
/// WalTornTailTests hold both halves.
/// </summary>
internal sealed partial class WalRecovery(WalOptions options)
{
    private readonly WalIndex _index = new();
    private readonly List<WalSegment> _segments = [];
    private long _tailOffset;
    private long _commitHint;

    /// <summary>The recovered state: segments (the last is the tail), index, the tail's write offset and the last commit hint.</summary>
    public static (WalSegments Segments, WalIndex Index, long TailOffset, long CommitHint) Run(WalOptions options)
    {
        Directory.CreateDirectory(options.Directory);
        var recovery = new WalRecovery(options);
        try
        {
            recovery.ScanAll();
        }
        catch
        {
            foreach (var s in recovery._segments) s.Dispose();
            throw;
        }
        if (recovery._segments.Count == 0)
        {
            recovery._segments.Add(WalSegment.Create(options.Directory, 0, 1, options.SegmentBytes, options.Logger));
            recovery._tailOffset = WalSegment.HeaderBytes;
        }
        recovery.TrimCache();
        return (new WalSegments(options.Directory, recovery._segments), recovery._index, recovery._tailOffset, recovery._commitHint);
    }

    private void ScanAll()
    {
        var files = new List<(long Seq, long First, string Path)>();
        foreach (string path in Directory.EnumerateFiles(options.Directory, "*.wal"))
            if (WalSegment.TryParse(Path.GetFileName(path), out long seq, out long first)) files.Add((seq, first, path));
        files.Sort((a, b) => a.Seq.CompareTo(b.Seq));
        for (int i = 0; i < files.Count; i++)
        {
            var segment = WalSegment.Open(files[i].Path, files[i].Seq, files[i].First);
            _segments.Add(segment);
            Scan(segment, File.ReadAllBytes(segment.Path), isLast: i == files.Count - 1, isFirst: i == 0);
        }
    }

    private void Scan(WalSegment segment, byte[] buf, bool isLast, bool isFirst)
    {
        if (!WalRecord.TryDecode(buf, out var header) || header.Type != WalRecordType.SegmentHeader
            || !buf.AsSpan(WalRecord.HeaderSize, 8).SequenceEqual(WalSegment.Magic))
        {
            if (!isLast || buf.AsSpan().ContainsAnyExcept((byte)0)) throw new WalCorruptException(segment.Name, 0, segment.FirstIndex);
            // A crash while creating the tail segment leaves it zero: nothing was ever written to it.
            _segments.Remove(segment);
            segment.Dispose();
            File.Delete(segment.Path);
            return;
        }
        if (isFirst) _index.Reset(header.Index - 1, -1);
        int pos = WalSegment.HeaderBytes;
        while (pos + WalRecord.HeaderSize <= buf.Length)
        {
            var rest = buf.AsSpan(pos);
            if (!rest[..WalRecord.HeaderSize].ContainsAnyExcept((byte)0))
            {
                if (!rest.ContainsAnyExcept((byte)0)) break;
                Bad(segment, buf, pos, pos, _index.Last + 1, isLast);
                return;
            }
            int end = TryBatch(buf, pos, out long badAt, out long badIndex);
            if (end < 0)
            {
                Bad(segment, buf, pos, badAt, badIndex, isLast);
                return;
            }
            Apply(segment, buf, pos, end);
            pos = end;
        }
        _tailOffset = pos;
    }

    /// <summary>Checks the batch at pos without applying it: its end, or -1 with the bad record's offset and index.</summary>
    private int TryBatch(byte[] buf, int pos, out long badAt, out long badIndex)
    {
        badAt = pos;
        badIndex = _index.Last + 1;
        if (!WalRecord.TryDecode(buf.AsSpan(pos), out var batch) || batch.Type != WalRecordType.Batch || batch.PayloadLength != 8) return -1;
        int count = BinaryPrimitives.ReadInt32LittleEndian(buf.AsSpan(pos + WalRecord.HeaderSize));
        long bytes = BinaryPrimitives.ReadInt32LittleEndian(buf.AsSpan(pos + WalRecord.HeaderSize + 4));
        long end = pos + batch.Size + bytes;
        if (count <= 0 || bytes <= 0 || end > buf.Length) return -1;
        long first = _index.First, last = _index.Last;
        int p = pos + batch.Size;
        for (int i = 0; i < count; i++)
        {
            badAt = p;
            badIndex = last + 1;
            if (p >= end || !WalRecord.TryDecode(buf.AsSpan(p, (int)(end - p)), out var r)) return -1;
            badIndex = r.Index;
            if (r.Type == WalRecordType.SnapshotReset)
            {
                first = r.Index + 1;
                last = r.Index;
            }
            else if (r.Type == WalRecordType.Entry && r.Index >= first && r.Index <= last + 1) last = r.Index;
            else if (r.Type != WalRecordType.CommitHint) return -1;
            p += r.Size;
        }
        badAt = p;
        return p == end ? p : -1;
    }

    private void Apply(WalSegment segment, byte[] buf, int pos, int end)
    {
        WalRecord.TryDecode(buf.AsSpan(pos), out var batch);
        for (int p = pos + batch.Size; p < end;)
        {
            WalRecord.TryDecode(buf.AsSpan(p, end - p), out var r);
            if (r.Type == WalRecordType.CommitHint) _commitHint = Math.Max(_commitHint, r.Index);
            else if (r.Type == WalRecordType.SnapshotReset) _index.Reset(r.Index, r.Term);
            else
            {
                if (r.Index <= _index.Last) _index.TruncateFrom(r.Index);
                _index.Add(new WalIndex.Slot
                {
                    Term = r.Term, IsConfiguration = r.IsConfiguration, Segment = segment, Offset = p, Length = r.Size,
                    Payload = buf.AsMemory(p + WalRecord.HeaderSize, r.PayloadLength).ToArray(),
                });
            }
            p += r.Size;
        }
    }

    /// <summary>
    /// A bad record at badAt in the batch starting at batchStart: truncated when it is the last batch of the last segment
    /// (no valid Batch record follows), otherwise the log refuses to open.
    /// </summary>
    private void Bad(WalSegment segment, byte[] buf, int batchStart, long badAt, long badIndex, bool isLast)
    {
        if (!isLast || HasBatchAfter(buf, (int)badAt + 8)) throw new WalCorruptException(segment.Name, badAt, badIndex);
        int dirtyEnd = buf.AsSpan(batchStart).LastIndexOfAnyExcept((byte)0) + batchStart + 1;
        RandomAccess.Write(segment.Handle, new byte[dirtyEnd - batchStart], batchStart);
        WalNative.DataSync(segment.Handle);
        LogTruncated(options.Logger, segment.Name, batchStart, badAt, badIndex, dirtyEnd - batchStart);
        _tailOffset = batchStart;
    }

    /// <summary>True when a record that decodes as a Batch starts at an 8-aligned offset from <paramref name="from"/>.</summary>
    private static bool HasBatchAfter(byte[] buf, int from)
    {
        for (int p = (from + 7) & ~7; p + WalRecord.HeaderSize <= buf.Length; p += 8)
        {
            int next = buf.AsSpan(p).IndexOfAnyExcept((byte)0);
            if (next < 0) return false;
            p += next & ~7;
            if (WalRecord.TryDecode(buf.AsSpan(p), out var r) && r.Type == WalRecordType.Batch) return true;
        }
        return false;
    }

    /// <summary>Keeps payloads in memory only for the last CacheEntries entries.</summary>
    private void TrimCache()
    {
        for (long i = _index.First; i <= _index.Last - options.CacheEntries; i++) _index[i].Payload = null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "WAL segment {Segment}: torn last batch at offset {BatchOffset} truncated " +
        "(bad record at offset {Offset}, index {Index}; {Bytes} bytes zeroed)")]
    private static partial void LogTruncated(ILogger logger, string segment, long batchOffset, long offset, long index, int bytes);
}
