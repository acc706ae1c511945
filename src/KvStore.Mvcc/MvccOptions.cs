using KvStore.Storage;

namespace KvStore.Mvcc;

/// <summary>Settings of an <see cref="MvccStore"/>. Only <see cref="Directory"/> is required.</summary>
public sealed record MvccOptions
{
    /// <summary>Data folder: FASTER's log and checkpoints live under it.</summary>
    public required string Directory { get; init; }

    /// <summary>FASTER sizing; derived from <see cref="Directory"/> with small defaults when null.</summary>
    public StorageOptions? Storage { get; init; }

    /// <summary>Most operations (compares, success ops or failure ops) one txn may carry (etcd --max-txn-ops).</summary>
    public int MaxTxnOps { get; init; } = 128;

    /// <summary>Shortest TTL a lease is granted with, in seconds (etcd: ceil(1.5 x election timeout)).</summary>
    public long MinLeaseTtl { get; init; } = 2;

    /// <summary>Start a checkpoint after this many bytes of records were written since the last one.</summary>
    public long CheckpointBytes { get; init; } = 64L << 20;

    /// <summary>Start a checkpoint after this much time with writes since the last one (zero: size only).</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Keys (or deleted revisions) one compaction batch handles under the write lock (etcd --experimental-compaction-batch-limit).
    /// </summary>
    public int CompactionBatchLimit { get; init; } = 1000;

    /// <summary>Pause between compaction batches, so writers run between them (etcd: 10 ms).</summary>
    public TimeSpan CompactionBatchInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Compact FASTER's log once it is larger than this and mostly dead records.</summary>
    public long LogCompactionMinBytes { get; init; } = 64L << 20;

    /// <summary>Bytes of FASTER's log one step of log compaction covers, holding the write lock (docs/maintenance.md).</summary>
    public long LogCompactionStepBytes { get; init; } = 1L << 20;

    /// <summary>
    /// Fewest records for which a range reads FASTER's whole log in one pass instead of record by record, when the log is
    /// not much larger than they are and a fair part of it is only on disk (docs/performance.md, "Large ranges").
    /// </summary>
    public int RangeScanAtLeast { get; init; } = 16_384;

    /// <summary>The FASTER settings in effect: <see cref="Storage"/>, else the defaults in &lt;Directory&gt;/engine.</summary>
    public StorageOptions StorageOrDefault() =>
        Storage ?? new StorageOptions { Directory = Path.Combine(Directory, "engine") };
}
