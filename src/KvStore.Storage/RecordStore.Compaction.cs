using FASTER.core;

namespace KvStore.Storage;

public sealed partial class RecordStore
{
    /// <summary>
    /// Copies the live records of the oldest part of the log (everything below the read-only boundary) to the
    /// tail and moves the log's begin address past them. Segments below the new begin address are deleted at
    /// the next checkpoint. Runs in a session of its own, beside the writer and the readers (FASTER's compaction
    /// copies a record only if no newer version of its key was written meanwhile), so it holds no writer.
    /// One compaction at a time. Returns the number of bytes of log released.
    /// </summary>
    public long CompactLog()
    {
        long begin = _store.Log.BeginAddress;
        long until = _store.Log.SafeReadOnlyAddress;
        if (until <= begin) return 0;
        using var session = NewSession();
        long newBegin = session.Compact(until, CompactionType.Scan);
        return newBegin - begin;
    }
}
