namespace KvStore.Wal;

/// <summary>The kinds of record in a segment (wal-design.md §3).</summary>
public enum WalRecordType : byte
{
    /// <summary>An entry; one whose index is at most the last index supersedes that suffix (etcd's ReadAll rule).</summary>
    Entry = 1,

    /// <summary>Opens a group commit: index = first index, payload = record count and bytes that follow.</summary>
    Batch = 2,

    /// <summary>The commit index known when the batch was written (etcd's HardState.Commit): index = that commit.</summary>
    CommitHint = 3,

    /// <summary>The log is empty after (index, term): written after a snapshot is installed.</summary>
    SnapshotReset = 4,

    /// <summary>The first record of every segment: magic and version, index = the segment's first index.</summary>
    SegmentHeader = 5,
}
