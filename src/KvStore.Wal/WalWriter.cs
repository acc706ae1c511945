using System.Buffers.Binary;

namespace KvStore.Wal;

/// <summary>
/// The one writer thread: takes everything queued since its last pass, writes it as one batch (a Batch record, then
/// the records) with ONE pwritev, then ONE fdatasync, and reports the written records. Records queued during a sync
/// form the next batch; a batch never spans segments (a batch that does not fit cuts a new one first).
/// WalTests.ConcurrentAppendersSeeTheirIndexDurableInOrder and WalTests.SegmentCut hold it.
/// </summary>
internal sealed class WalWriter : IDisposable
{
    /// <summary>Payloads up to this size are copied into the batch buffer, larger ones are their own iovec.</summary>
    private const int CopyLimit = 4096;

    private readonly object _lock = new();
    private readonly WalOptions _options;
    private readonly WalSegments _segments;
    private readonly Action<List<PendingRecord>> _written;
    private readonly Action<Exception> _failed;
    private readonly Thread _thread;
    private List<PendingRecord> _queue = [];
    private long _tailOffset;
    private bool _stopping;
    private long _commitHint; // noted by the log; _lock
    private long _writtenHint; // writer thread only

    public WalWriter(WalOptions options, WalSegments segments, long tailOffset, Action<List<PendingRecord>> written, Action<Exception> failed)
    {
        _options = options;
        _segments = segments;
        _tailOffset = tailOffset;
        _written = written;
        _failed = failed;
        _thread = new Thread(Run) { IsBackground = true, Name = "wal-writer" };
        _thread.Start();
    }

    /// <summary>How many fdatasync calls the writer made (one per batch).</summary>
    public long Syncs { get; private set; }

    /// <summary>Bytes written in the tail segment, header included.</summary>
    public long TailOffset => Volatile.Read(ref _tailOffset);

    /// <summary>Queues a record; the caller enqueues in index order.</summary>
    public void Enqueue(PendingRecord record)
    {
        lock (_lock)
        {
            _queue.Add(record);
            if (_queue.Count == 1) Monitor.Pulse(_lock);
        }
    }

    /// <summary>Queues records that land in one batch together (a follower's AppendEntries).</summary>
    public void Enqueue(List<PendingRecord> records)
    {
        lock (_lock)
        {
            bool wasEmpty = _queue.Count == 0;
            _queue.AddRange(records);
            if (wasEmpty) Monitor.Pulse(_lock);
        }
    }

    /// <summary>
    /// Notes the commit index; it rides the next batch as a CommitHint record (etcd writes HardState.Commit in the same
    /// Save as the entries), and is written alone only when the writer stops. Never synced on its own: a lost hint only
    /// means the log replays less at open and the rest once the leader commits again.
    /// </summary>
    public void NoteCommit(long index)
    {
        lock (_lock) _commitHint = Math.Max(_commitHint, index);
    }

    /// <summary>Writes what is queued, then stops the thread.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _stopping = true;
            Monitor.Pulse(_lock);
        }
        _thread.Join();
    }

    private void Run()
    {
        while (true)
        {
            List<PendingRecord> batch;
            long hint;
            lock (_lock)
            {
                while (_queue.Count == 0 && !_stopping) Monitor.Wait(_lock);
                hint = _commitHint;
                if (_queue.Count == 0 && hint <= _writtenHint) return;
                batch = _queue;
                _queue = [];
            }
            if (hint > _writtenHint)
            {
                batch.Add(new PendingRecord(0, WalRecordType.CommitHint, false, hint, 0, ReadOnlyMemory<byte>.Empty));
                _writtenHint = hint;
            }
            try
            {
                WriteBatch(batch);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _failed(e);
                return;
            }
            _written(batch);
        }
    }

    private void WriteBatch(List<PendingRecord> batch)
    {
        const int batchRecordBytes = WalRecord.HeaderSize + 8;
        long records = 0;
        int metaBytes = batchRecordBytes;
        foreach (var r in batch)
        {
            records += r.Size;
            metaBytes += r.Payload.Length <= CopyLimit ? r.Size : r.Size - r.Payload.Length;
        }
        long total = batchRecordBytes + records;
        var tail = _segments.Tail;
        // A reset (an installed snapshot) starts a segment of its own, so the ones before it can all be deleted.
        bool cut = _tailOffset + total > _options.SegmentBytes || batch[0].Type == WalRecordType.SnapshotReset;
        if (cut && _tailOffset > WalSegment.HeaderBytes)
        {
            long first = batch[0].Type == WalRecordType.SnapshotReset ? batch[0].Index + 1 : batch[0].Index;
            tail = WalSegment.Create(_segments.Directory, tail.Seq + 1, first, _options.SegmentBytes, _options.Logger);
            _segments.Add(tail);
            Volatile.Write(ref _tailOffset, WalSegment.HeaderBytes);
            _options.Faults?.At(WalStep.SegmentCut);
        }

        byte[] meta = new byte[metaBytes];
        Span<byte> count = stackalloc byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(count, batch.Count);
        BinaryPrimitives.WriteInt32LittleEndian(count[4..], checked((int)records));
        WalRecord.Encode(WalRecordType.Batch, false, batch[0].Index, 0, count).CopyTo(meta, 0);
        var buffers = new List<ReadOnlyMemory<byte>>();
        int metaStart = 0, metaPos = batchRecordBytes;
        long offset = _tailOffset + batchRecordBytes;
        foreach (var r in batch)
        {
            r.Segment = tail;
            r.Offset = offset;
            offset += r.Size;
            var header = new WalRecord(r.Type, r.IsConfiguration, r.Index, r.Term, r.Payload.Length);
            header.WriteHeader(meta.AsSpan(metaPos), r.Payload.Span);
            metaPos += WalRecord.HeaderSize;
            if (r.Payload.Length <= CopyLimit)
            {
                r.Payload.Span.CopyTo(meta.AsSpan(metaPos));
                metaPos += WalRecord.Padded(r.Payload.Length);
                continue;
            }
            buffers.Add(meta.AsMemory(metaStart, metaPos - metaStart));
            buffers.Add(r.Payload);
            metaStart = metaPos;
            metaPos += WalRecord.Padded(r.Payload.Length) - r.Payload.Length;
        }
        if (metaPos > metaStart) buffers.Add(meta.AsMemory(metaStart, metaPos - metaStart));

        _options.Faults?.At(WalStep.BeforeWrite);
        if (_options.Faults is { } faults && faults.WriteLength(checked((int)total)) is var prefix && prefix < total)
        {
            RandomAccess.Write(tail.Handle, Concat(buffers).AsSpan(0, prefix), _tailOffset);
            faults.At(WalStep.PartialWrite);
        }
        RandomAccess.Write(tail.Handle, buffers, _tailOffset);
        _options.Faults?.At(WalStep.AfterWrite);
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        WalNative.DataSync(tail.Handle);
        _options.Synced?.Invoke(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        Syncs++;
        _options.Faults?.At(WalStep.AfterSync);
        Volatile.Write(ref _tailOffset, _tailOffset + total);
    }

    private static byte[] Concat(List<ReadOnlyMemory<byte>> buffers)
    {
        var all = new byte[buffers.Sum(b => b.Length)];
        int at = 0;
        foreach (var b in buffers)
        {
            b.Span.CopyTo(all.AsSpan(at));
            at += b.Length;
        }
        return all;
    }
}
