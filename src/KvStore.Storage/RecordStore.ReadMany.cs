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
}
