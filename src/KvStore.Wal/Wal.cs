namespace KvStore.Wal;

/// <summary>
/// Our own Raft log (wal-design.md step 1): segments of CRC'd records, one pwritev and one fdatasync per group commit on
/// a dedicated writer thread, DurableIndex and its waiters, recovery with the torn-tail rule, an in-memory index and
/// tail cache. NOT wired into the server yet: nothing outside KvStore.Wal.Tests uses it in this step.
/// Thread-safe; appends are numbered and queued in index order under one lock.
/// </summary>
public sealed class Wal : IDisposable
{
    private readonly Lock _lock = new();
    private readonly WalOptions _options;
    private readonly WalIndex _index;
    private readonly WalSegments _segments;
    private readonly WalWriter _writer;
    private readonly PriorityQueue<TaskCompletionSource, long> _waiters = new();
    private long _nextId = 1;
    private long _durable;
    private long _evicted;
    private long _resetId;
    private Exception? _failure;

    private Wal(WalOptions options, WalSegments segments, WalIndex index, long tailOffset, long commitHint)
    {
        CommitHint = commitHint;
        _options = options;
        _segments = segments;
        _index = index;
        _durable = index.Last;
        _evicted = index.Last - options.CacheEntries;
        _writer = new WalWriter(options, segments, tailOffset, Written, Failed);
    }

    /// <summary>Scans the directory (creating it and a first segment when empty), repairs a torn tail, rebuilds the index.</summary>
    /// <exception cref="WalCorruptException">A bad record outside the last batch of the last segment.</exception>
    public static Wal Open(WalOptions options)
    {
        var (segments, index, tailOffset, commitHint) = WalRecovery.Run(options);
        return new Wal(options, segments, index, tailOffset, commitHint);
    }

    /// <summary>The first index held (Last + 1 when empty).</summary>
    public long FirstIndex { get { lock (_lock) return _index.First; } }

    /// <summary>The last index appended (buffered or durable).</summary>
    public long LastIndex { get { lock (_lock) return _index.Last; } }

    /// <summary>Every entry through this index is on disk and fdatasynced.</summary>
    public long DurableIndex { get { lock (_lock) return _durable; } }

    /// <summary>The last commit index noted before the log was last closed or crashed (0 when none was written).</summary>
    public long CommitHint { get; }

    /// <summary>Notes the commit index: written with the next batch, or when the log closes (never synced alone).</summary>
    public void NoteCommit(long index) => _writer.NoteCommit(index);

    /// <summary>How many fdatasync calls the writer made (one per group commit).</summary>
    public long Syncs => _writer.Syncs;

    /// <summary>Bytes written in the tail segment (tests cut the file inside the last batch with it).</summary>
    public long TailOffset => _writer.TailOffset;

    /// <summary>How many segment files there are.</summary>
    public int SegmentCount => _segments.Count;

    /// <summary>Raised on the writer thread after an fdatasync moved DurableIndex.</summary>
    public event Action<long>? Durable;

    /// <summary>Appends after the last entry, buffered; returns its index. WaitDurableAsync tells when it is on disk.</summary>
    public long Append(long term, ReadOnlyMemory<byte> payload, bool configuration, object? context)
    {
        lock (_lock)
        {
            long index = _index.Last + 1;
            Put(index, term, payload, configuration, context);
            return index;
        }
    }

    /// <summary>
    /// Appends several entries of one term after the last, written in one group commit together (a follower's
    /// AppendEntries); returns the last index. WalTornTailTests build their batches with it.
    /// </summary>
    public long AppendMany(long term, IReadOnlyList<ReadOnlyMemory<byte>> payloads)
    {
        lock (_lock)
        {
            ThrowIfFailed();
            var records = new List<PendingRecord>(payloads.Count);
            foreach (var payload in payloads)
            {
                long id = _nextId++;
                long index = _index.Last + 1;
                _index.Add(new WalIndex.Slot { Id = id, Term = term, Payload = payload });
                records.Add(new PendingRecord(id, WalRecordType.Entry, false, index, term, payload));
            }
            _writer.Enqueue(records);
            return _index.Last;
        }
    }

    /// <summary>
    /// Writes at index (First &lt;= index &lt;= Last + 1), dropping [index, Last] in memory; on disk the later record
    /// supersedes (etcd's ReadAll rule). WalTests.OverwriteThenReopen holds it.
    /// </summary>
    public void Write(long index, long term, ReadOnlyMemory<byte> payload, bool configuration)
    {
        lock (_lock)
        {
            if (index < _index.First || index > _index.Last + 1)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"outside [{_index.First}, {_index.Last + 1}]");
            if (index <= _index.Last) _index.TruncateFrom(index);
            _durable = Math.Min(_durable, index - 1);
            Put(index, term, payload, configuration, null);
        }
    }

    /// <summary>The log is empty after (index, term): a snapshot covers it. WalTests.ResetAfterSnapshot holds it.</summary>
    public void ResetAfterSnapshot(long index, long term)
    {
        lock (_lock)
        {
            ThrowIfFailed();
            _index.Reset(index, term);
            _durable = Math.Min(_durable, index);
            _evicted = index;
            _resetId = _nextId++;
            _writer.Enqueue(new PendingRecord(_resetId, WalRecordType.SnapshotReset, false, index, term, ReadOnlyMemory<byte>.Empty));
        }
    }

    /// <summary>Completes when DurableIndex reaches index; fails if the writer failed.</summary>
    public Task WaitDurableAsync(long index, CancellationToken token = default)
    {
        lock (_lock)
        {
            if (_failure is not null) return Task.FromException(new IOException("the WAL writer failed", _failure));
            if (_durable >= index) return Task.CompletedTask;
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter, index);
            return waiter.Task.WaitAsync(token);
        }
    }

    /// <summary>The term at index, the reset/snapshot term at First - 1, else -1 (absent or compacted).</summary>
    public long TermAt(long index)
    {
        lock (_lock)
        {
            if (index == _index.First - 1) return _index.BaseTerm;
            return _index.Contains(index) ? _index[index].Term : -1;
        }
    }

    /// <summary>The entry at index: from the tail cache, else read from its segment with its CRC checked.</summary>
    /// <param name="takeContext">The applier's read: the entry's context (the leader's proposal) is handed over and
    /// dropped from the log, which needs it no more.</param>
    /// <exception cref="WalCorruptException">The record on disk no longer checks.</exception>
    public WalEntry Read(long index, bool takeContext = false)
    {
        WalIndex.Slot slot;
        lock (_lock)
        {
            if (!_index.Contains(index))
                throw new ArgumentOutOfRangeException(nameof(index), index, $"outside [{_index.First}, {_index.Last}]");
            slot = _index[index];
            if (takeContext) _index[index].Context = null;
        }
        if (slot.Payload is { } cached) return new WalEntry(index, slot.Term, slot.IsConfiguration, cached, slot.Context);
        byte[] bytes = new byte[slot.Length];
        RandomAccess.Read(slot.Segment!.Handle, bytes, slot.Offset);
        if (!WalRecord.TryDecode(bytes, out var r) || r.Type != WalRecordType.Entry || r.Index != index)
            throw new WalCorruptException(slot.Segment.Name, slot.Offset, index);
        return new WalEntry(index, r.Term, r.IsConfiguration, bytes.AsMemory(WalRecord.HeaderSize, r.PayloadLength), slot.Context);
    }

    /// <summary>Deletes whole segments whose entries are all at most upTo, never the tail. WalTests.Compaction holds it.</summary>
    public ValueTask CompactAsync(long upTo, CancellationToken token = default)
    {
        token.ThrowIfCancellationRequested();
        lock (_lock) upTo = Math.Min(upTo, _durable);
        long through = _segments.DeleteThrough(upTo);
        if (through > 0)
        {
            lock (_lock) _index.DropThrough(through);
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Writes what is queued, stops the writer and closes the segments.</summary>
    public void Dispose()
    {
        _writer.Dispose();
        _segments.Dispose();
    }

    private void Put(long index, long term, ReadOnlyMemory<byte> payload, bool configuration, object? context)
    {
        ThrowIfFailed();
        long id = _nextId++;
        _index.Add(new WalIndex.Slot { Id = id, Term = term, IsConfiguration = configuration, Payload = payload, Context = context });
        _writer.Enqueue(new PendingRecord(id, WalRecordType.Entry, configuration, index, term, payload));
    }

    private void ThrowIfFailed()
    {
        if (_failure is not null) throw new IOException("the WAL writer failed", _failure);
    }

    /// <summary>The writer's report: locate the written slots, advance DurableIndex over located slots, wake waiters.</summary>
    private void Written(List<PendingRecord> batch)
    {
        List<TaskCompletionSource>? done = null;
        long durable;
        lock (_lock)
        {
            foreach (var r in batch)
            {
                if (r.Type == WalRecordType.SnapshotReset)
                {
                    if (r.Id == _resetId) _resetId = 0;
                    continue;
                }
                if (r.Type != WalRecordType.Entry) continue;
                if (!_index.Contains(r.Index)) continue;
                ref var slot = ref _index[r.Index];
                if (slot.Id != r.Id) continue;
                slot.Segment = r.Segment;
                slot.Offset = r.Offset;
                slot.Length = r.Size;
            }
            if (_resetId == 0)
            {
                long d = Math.Max(_durable, _index.First - 1);
                while (d < _index.Last && _index[d + 1].Segment is not null) d++;
                _durable = d;
            }
            for (long i = Math.Max(_evicted + 1, _index.First); i <= _durable - _options.CacheEntries; i++)
            {
                _index[i].Payload = null;
                _index[i].Context = null;
            }
            _evicted = Math.Max(_evicted, _durable - _options.CacheEntries);
            while (_waiters.TryPeek(out var w, out long at) && at <= _durable)
            {
                _waiters.Dequeue();
                (done ??= []).Add(w);
            }
            durable = _durable;
        }
        if (done is not null) foreach (var w in done) w.TrySetResult();
        Durable?.Invoke(durable);
    }

    private void Failed(Exception e)
    {
        List<TaskCompletionSource> waiters = [];
        lock (_lock)
        {
            _failure = e;
            while (_waiters.TryDequeue(out var w, out _)) waiters.Add(w);
        }
        foreach (var w in waiters) w.TrySetException(new IOException("the WAL writer failed", e));
    }
}
