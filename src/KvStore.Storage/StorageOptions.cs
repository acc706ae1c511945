namespace KvStore.Storage;

/// <summary>
/// Sizing of the FASTER store. FASTER's own defaults keep 16 GB of log in memory; these defaults are small
/// (64 MB of log memory, a 16 MB hash index) and every one can be raised.
/// </summary>
public sealed record StorageOptions
{
    /// <summary>Folder holding the log segments and the checkpoints.</summary>
    public required string Directory { get; init; }

    /// <summary>Hash index size in buckets (power of two; 64 bytes each).</summary>
    public long IndexBuckets { get; init; } = 1L << 18;

    /// <summary>In-memory part of the log: 2^MemorySizeBits bytes.</summary>
    public int MemorySizeBits { get; init; } = 26;

    /// <summary>
    /// The part of the in-memory log still open to in-place updates; pages past it are flushed as they leave it. History
    /// records are written once; only a few small ones (the meta record, leases, the auth record) are rewritten, and
    /// past the region a rewrite appends a copy. So a small region costs little, and a checkpoint, which flushes the
    /// whole region at once, has little to write: with FASTER's 0.9, the first checkpoint after a burst of writes
    /// flushed tens of MB while the Raft log's fdatasync waited (a 700 ms put). FASTER moves the region's boundary in
    /// whole pages, so a log under two pages behaves the same at any fraction (docs/maintenance.md).
    /// </summary>
    public double MutableFraction { get; init; } = 0.1;

    /// <summary>Log page size: 2^PageSizeBits bytes (a record must fit in a page).</summary>
    public int PageSizeBits { get; init; } = 22;

    /// <summary>On-disk log segment size: 2^SegmentSizeBits bytes; whole segments are freed after log compaction.</summary>
    public int SegmentSizeBits { get; init; } = 26;

    /// <summary>
    /// How long a close waits for a checkpoint to finish. FASTER never completes a checkpoint whose files cannot be
    /// written (the directory removed, the disk failing); the close then gives it up, and the caller's log replays
    /// what it held (RecordStoreTests.CloseGivesUpACheckpointThatCannotBeWritten).
    /// </summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
