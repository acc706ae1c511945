using FASTER.core;

namespace KvStore.Storage;

public sealed partial class RecordStore
{
    // FASTER's first log compaction in a process took 0.8-1.6 s however little it copied (336 bytes: 805 ms, of which
    // 72 ms JIT), all under the engine's write lock (docs/maintenance.md). A compaction of a small store in memory
    // beforehand, once per process and in the background, pays that off the write path.
    private static readonly Lazy<Task> CompactionWarmUp = new(() => Task.Run(WarmUpCompaction));

    /// <summary>
    /// Starts the once-per-process warm-up of FASTER's log compaction in the background (a no-op after the first
    /// call). The MVCC store asks for it a few seconds after it opens, and again when a compaction begins, whose batches
    /// run for a while before the log is compacted (<c>MvccStore.ScheduleCompactionWarmUp</c>).
    /// </summary>
    public static void PrepareLogCompaction() => _ = CompactionWarmUp.Value;

    private static void WarmUpCompaction()
    {
        var functions = new RecordFunctions();
        using var store = new FasterKV<Revision, SpanByte>(1 << 10,
            new LogSettings { LogDevice = new NullDevice(), MemorySizeBits = 16, PageSizeBits = 12 },
            comparer: RevisionComparer.Instance);
        using var session = store.For(functions).NewSession<RecordFunctions>();
        Span<byte> bytes = stackalloc byte[64];
        for (long i = 0; i < 200; i++)
        {
            var key = new Revision(i, 0);
            var value = SpanByte.FromFixedSpan(bytes);
            session.Upsert(ref key, ref value);
            if (i % 2 == 0) session.Delete(ref key);
        }
        store.Log.ShiftReadOnlyAddress(store.Log.TailAddress, wait: true);
        session.Compact(store.Log.SafeReadOnlyAddress, CompactionType.Lookup);
    }

    /// <summary>The address below which the log is read-only and may be compacted (FASTER's SafeReadOnlyAddress).</summary>
    public long CompactableUntil => _store.Log.SafeReadOnlyAddress;

    /// <summary>
    /// One step of log compaction: copies the live records among the first <paramref name="maxBytes"/> of the log
    /// (not beyond <paramref name="until"/> or the read-only boundary) to the tail and moves the begin address past
    /// them; the log segments below the new begin address are deleted at the next checkpoint. Returns the bytes
    /// released, 0 when the begin address is at <paramref name="until"/>.
    /// FASTER's lookup compaction checks each record against the hash index, so a step's cost grows with the step's
    /// records only; its scan compaction reads the whole read-only log after the step too, every step
    /// (docs/maintenance.md).
    /// A step runs beside the writer and the readers, in a FASTER session of its own: FASTER copies a record only when
    /// no newer record of its key (a delete's tombstone included) was written meanwhile, and a read that misses a
    /// record while a step moves it is read again (<see cref="Read"/>). One step at a time; not beside
    /// <see cref="ForEachLive"/>, which could miss a record being moved.
    /// </summary>
    public long CompactLogStep(long until, long maxBytes)
    {
        long begin = _store.Log.BeginAddress;
        long stepUntil = Math.Min(Math.Min(until, CompactableUntil), begin + Math.Min(maxBytes, long.MaxValue - begin));
        if (stepUntil <= begin) return 0;
        using Session session = NewSession();
        long newBegin = session.Compact(stepUntil, CompactionType.Lookup);
        return newBegin - begin;
    }

    /// <summary>
    /// True when a read that began when the log's begin address was <paramref name="begin"/> and found nothing may have
    /// missed a record a compaction step moved. FASTER answers "not found" to a read whose record was on disk when the
    /// read began and below the begin address when its disk read completed, though the record's copy is at the tail by
    /// then (ContinuePendingRead checks only the begin address): the model tests once found a record missing that way.
    /// A step moves the begin address only after its copies are in place, so reading again finds the copy; a miss
    /// while the begin address stood still is a true miss.
    /// </summary>
    private bool BeginMovedSince(long begin)
    {
        Interlocked.MemoryBarrier(); // the begin address read after the read's own reads
        return _store.Log.BeginAddress != begin;
    }
}
