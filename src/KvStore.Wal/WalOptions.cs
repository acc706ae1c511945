using Microsoft.Extensions.Logging;

namespace KvStore.Wal;

/// <summary>Where the log lives and how it is cut: segments of 64 MiB (etcd's size), the last 4096 payloads in memory.</summary>
public sealed record WalOptions(string Directory, ILogger Logger)
{
    /// <summary>etcd's segment size (wal.SegmentSizeBytes).</summary>
    public const long DefaultSegmentBytes = 64L << 20;

    /// <summary>The preallocated size of a segment; a batch that does not fit starts the next one.</summary>
    public long SegmentBytes { get; init; } = DefaultSegmentBytes;

    /// <summary>How many of the last durable entries keep their payload in memory.</summary>
    public int CacheEntries { get; init; } = 4096;

    /// <summary>Fault hooks for crash tests; null in production.</summary>
    public IWalFaults? Faults { get; init; }

    /// <summary>Told each fdatasync's duration in seconds (the server's etcd_disk_wal_fsync_duration_seconds).</summary>
    public Action<double>? Synced { get; init; }
}

/// <summary>One entry read back from the log.</summary>
public readonly record struct WalEntry(long Index, long Term, bool IsConfiguration, ReadOnlyMemory<byte> Payload, object? Context);

/// <summary>A record queued for the writer; the writer fills in where it landed.</summary>
internal sealed class PendingRecord(long id, WalRecordType type, bool configuration, long index, long term, ReadOnlyMemory<byte> payload)
{
    public long Id { get; } = id;
    public WalRecordType Type { get; } = type;
    public bool IsConfiguration { get; } = configuration;
    public long Index { get; } = index;
    public long Term { get; } = term;
    public ReadOnlyMemory<byte> Payload { get; } = payload;
    public WalSegment? Segment { get; set; }
    public long Offset { get; set; }
    public int Size => WalRecord.HeaderSize + WalRecord.Padded(Payload.Length);
}
