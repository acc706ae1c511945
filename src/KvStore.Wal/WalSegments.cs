namespace KvStore.Wal;

/// <summary>
/// The open segments in sequence order; the last is the tail the writer appends to. Compaction deletes whole segments
/// whose every live entry is at most the compaction index, never the tail (WalTests.CompactionDeletesWholeSegments).
/// </summary>
internal sealed class WalSegments(string directory, List<WalSegment> segments) : IDisposable
{
    private readonly Lock _lock = new();

    /// <summary>The directory holding the segment files.</summary>
    public string Directory { get; } = directory;

    /// <summary>The segment the writer appends to.</summary>
    public WalSegment Tail { get { lock (_lock) return segments[^1]; } }

    /// <summary>How many segment files there are.</summary>
    public int Count { get { lock (_lock) return segments.Count; } }

    /// <summary>Adds a new tail (a cut).</summary>
    public void Add(WalSegment segment)
    {
        lock (_lock) segments.Add(segment);
    }

    /// <summary>
    /// Deletes the segments before the tail whose successor starts at most at upTo + 1, and returns the index through
    /// which entries are gone (the successor's first index - 1), or 0 when none was deleted.
    /// </summary>
    public long DeleteThrough(long upTo)
    {
        long through = 0;
        lock (_lock)
        {
            while (segments.Count > 1 && segments[1].FirstIndex - 1 <= upTo)
            {
                through = segments[1].FirstIndex - 1;
                segments[0].Dispose();
                File.Delete(segments[0].Path);
                segments.RemoveAt(0);
            }
        }
        if (through > 0) WalNative.SyncDirectory(Directory);
        return through;
    }

    /// <summary>Closes every handle.</summary>
    public void Dispose()
    {
        lock (_lock) foreach (var segment in segments) segment.Dispose();
    }
}
