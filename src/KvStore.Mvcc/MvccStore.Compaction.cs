using Etcdserverpb;
using KvStore.Mvcc.Index;
using KvStore.Storage;

namespace KvStore.Mvcc;

public sealed partial class MvccStore
{
    /// <summary>
    /// etcd's Compact: drops the history below <paramref name="revision"/> but the newest version of each key
    /// live at it. Reads and watches below it then get <see cref="MvccError.Compacted"/>. Compacting at or below
    /// the last compaction gives Compacted; beyond the current revision, FutureRevision.
    /// </summary>
    public MvccResult<CompactionResponse> Compact(long revision, long index = 0) =>
        Write(index, () => CompactLocked(revision));

    private MvccResult<CompactionResponse> CompactLocked(long rev)
    {
        if (rev <= _compactRev) return MvccError.Compacted;
        if (rev > _currentRev) return MvccError.FutureRevision;

        // Remember how many changes revision `rev` had: watchers from exactly `rev` read it after its
        // tombstones are gone.
        long subs = 0;
        while (_records.Read(new Revision(rev, subs)) is not null) subs++;
        Volatile.Write(ref _compactRev, rev);
        _compactSubCount = subs;
        _records.Upsert(RecordCodec.MetaKey, RecordCodec.EncodeMeta(rev, subs));

        var dropped = new List<Revision>();
        var emptyKeys = new List<byte[]>();
        foreach (KeyIndex ki in _index.Scan([], []))
        {
            ki.Compact(rev, dropped);
            if (ki.IsEmpty) emptyKeys.Add(ki.Key);
        }
        foreach (byte[] key in emptyKeys) _index.Remove(key);
        foreach (Revision r in dropped)
        {
            if (r.Main <= rev) _records.Delete(r);
        }
        _deadRecords += dropped.Count;
        MarkDirty((dropped.Count + 1) * Revision.EncodedSize);
        MaybeCompactLogLocked();
        return new CompactionResponse { Header = Header() };
    }

    /// <summary>
    /// Reclaims FASTER log space once it is large and compaction has deleted many records since the last time.
    /// </summary>
    private void MaybeCompactLogLocked()
    {
        if (_records.LogSizeBytes < Options.LogCompactionMinBytes) return;
        long live = Math.Max(1, _index.Count);
        if (_deadRecords < live) return; // mostly live: copying it forward would not pay
        _records.CompactLog();
        _deadRecords = 0;
        _bytesSinceCheckpoint = Math.Max(_bytesSinceCheckpoint, Options.CheckpointBytes); // truncate at the next checkpoint
    }
}
