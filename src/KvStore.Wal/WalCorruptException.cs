namespace KvStore.Wal;

/// <summary>
/// A bad record outside the last batch of the last segment: the log refuses to open (only the last batch can be
/// torn, since a batch is written only after the previous one's fdatasync). WalTornTailTests.EarlierBatch holds it.
/// </summary>
public sealed class WalCorruptException(string segment, long offset, long index)
    : IOException($"corrupt WAL record in segment {segment} at offset {offset} (index {index})")
{
    /// <summary>The segment file's name.</summary>
    public string Segment { get; } = segment;

    /// <summary>The byte offset of the bad record in its segment.</summary>
    public long Offset { get; } = offset;

    /// <summary>The index the record has or, if unreadable, the index expected there.</summary>
    public long Index { get; } = index;
}
