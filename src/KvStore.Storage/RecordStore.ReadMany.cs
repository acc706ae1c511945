using FASTER.core;

namespace KvStore.Storage;

public sealed partial class RecordStore
{
    /// <summary>
    /// Reads the records at <paramref name="keys"/> into <paramref name="records"/> (null where there is none), the
    /// same answers as <see cref="Read"/> one key at a time. Records on disk are all requested before any is waited
    /// for, so their reads overlap and complete together. Any thread. (RecordStoreTests.ReadManyMatchesRead)
    /// </summary>
    public void ReadMany(ReadOnlySpan<Revision> keys, Span<byte[]?> records)
    {
        if (records.Length < keys.Length) throw new ArgumentException("records is shorter than keys", nameof(records));
        long begin = _store.Log.BeginAddress;
        ReadManyOnce(keys, records);
        if (!BeginMovedSince(begin)) return;
        // a log compaction step ran beside: what was missed is read again, one record at a time (Read)
        for (int i = 0; i < keys.Length; i++) records[i] ??= Read(keys[i]);
    }

    private void ReadManyOnce(ReadOnlySpan<Revision> keys, Span<byte[]?> records)
    {
        Session session = RentReader();
        try
        {
            List<int>? pending = null;
            for (int i = 0; i < keys.Length; i++)
            {
                Revision key = keys[i];
                byte[]? output = null;
                Status status = session.Read(ref key, ref output);
                if (status.IsPending) (pending ??= []).Add(i);
                records[i] = status.Found ? output : null;
            }
            if (pending is null) return;

            // a completed read names its key, not its slot: the same key asked twice gets the same record
            var found = new Dictionary<Revision, byte[]?>(pending.Count);
            session.CompletePendingWithOutputs(out var outputs, wait: true);
            using (outputs)
            {
                while (outputs.Next())
                {
                    ref var completed = ref outputs.Current;
                    found[completed.Key] = completed.Status.Found ? completed.Output : null;
                }
            }
            foreach (int i in pending) records[i] = found.GetValueOrDefault(keys[i]);
        }
        finally
        {
            _readers.Add(session);
        }
    }

    /// <summary>Bytes of the arrays <see cref="ReadManyByScan"/> copies records into (large objects: not zeroed first).</summary>
    private const int ScanChunkBytes = 1 << 20;

    /// <summary>
    /// Reads the records at <paramref name="keys"/> into <paramref name="records"/> (empty where there is none: a record
    /// never is) by one pass over the whole log in address order: FASTER reads its on-disk pages sequentially, a page at a
    /// time, where <see cref="ReadMany"/> reads each record on disk on its own (a thread-pool read and completion per
    /// record). Worth it when the keys are a large part of the log (a range over most of the store). The records are
    /// copied side by side into shared arrays of <see cref="ScanChunkBytes"/>, so a record kept keeps its neighbours'
    /// bytes: for answers used and dropped together. A later record of a key wins (a log compaction step's copy, or a
    /// delete). The caller keeps log compaction steps from running meanwhile; a record the pass did not find is read as
    /// <see cref="Read"/> does. Any thread. (RecordStoreReadManyTests)
    /// </summary>
    public void ReadManyByScan(ReadOnlySpan<Revision> keys, Span<ReadOnlyMemory<byte>> records)
    {
        if (records.Length < keys.Length) throw new ArgumentException("records is shorter than keys", nameof(records));
        var slots = new Dictionary<Revision, int>(keys.Length);
        for (int i = 0; i < keys.Length; i++)
        {
            slots.TryAdd(keys[i], i);
            records[i] = default;
        }
        byte[] chunk = [];
        int used = 0;
        using (IFasterScanIterator<Revision, SpanByte> iterator = _store.Log.Scan(_store.Log.BeginAddress, _store.Log.TailAddress))
        {
            while (iterator.GetNext(out RecordInfo info))
            {
                if (!slots.TryGetValue(iterator.GetKey(), out int slot)) continue;
                if (info.Tombstone)
                {
                    records[slot] = default;
                    continue;
                }
                ReadOnlySpan<byte> value = iterator.GetValue().AsReadOnlySpan();
                if (value.Length > ScanChunkBytes / 16)
                {
                    records[slot] = value.ToArray();
                    continue;
                }
                if (chunk.Length - used < value.Length) (chunk, used) = (GC.AllocateUninitializedArray<byte>(ScanChunkBytes), 0);
                value.CopyTo(chunk.AsSpan(used));
                records[slot] = chunk.AsMemory(used, value.Length);
                used += value.Length;
            }
        }
        for (int i = 0; i < keys.Length; i++)
        {
            int slot = slots[keys[i]];
            if (slot != i) records[i] = records[slot];
            else if (records[i].IsEmpty && Read(keys[i]) is { } record) records[i] = record;
        }
    }
}
