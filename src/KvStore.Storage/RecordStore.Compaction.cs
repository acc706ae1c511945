using FASTER.core;

namespace KvStore.Storage;

public sealed partial class RecordStore
{
    /// <summary>
    /// Copies the live records of the oldest part of the log (everything below the read-only boundary) to the
    /// tail and moves the log's begin address past them. Segments below the new begin address are deleted at
    /// the next checkpoint. Writer only. Returns the number of bytes of log released.
    /// </summary>
    public long CompactLog()
    {
        long begin = _store.Log.BeginAddress;
        long until = _store.Log.SafeReadOnlyAddress;
        if (until <= begin) return 0;
        long newBegin = _writer.Compact(until, CompactionType.Scan);
        return newBegin - begin;
    }
}
