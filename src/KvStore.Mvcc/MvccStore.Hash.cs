using Etcdserverpb;
using KvStore.Mvcc.Index;
using KvStore.Storage;

namespace KvStore.Mvcc;

public sealed partial class MvccStore
{
    /// <summary>
    /// etcd's HashKV: a CRC-32C over the key-value history up to <paramref name="revision"/> (0: current), in
    /// revision order, as compaction left it. Members with equal history have equal hashes. A revision at or
    /// below the compact revision gives <see cref="MvccError.Compacted"/>, as in etcd 3.4.
    /// </summary>
    public MvccResult<HashKVResponse> HashKV(long revision)
    {
        _lock.EnterReadLock();
        try
        {
            // etcd 3.4 HashByRev: a revision at or below the compact revision is compacted (0 means current).
            if (revision > 0 && revision <= _compactRev) return MvccError.Compacted;
            long rev = revision == 0 ? _currentRev : revision;
            if (rev > _currentRev) return MvccError.FutureRevision;
            uint hash = HashHistory(rev);
            return new HashKVResponse { Header = Header(), Hash = hash, CompactRevision = _compactRev };
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>etcd's Hash: a CRC-32C over the whole state (history and leases).</summary>
    public HashResponse Hash()
    {
        _lock.EnterReadLock();
        try
        {
            uint hash = HashHistory(_currentRev);
            Span<byte> buf = stackalloc byte[16];
            foreach (Leasepb.Lease l in _lessor.Records())
            {
                new Revision(l.ID, l.TTL).WriteTo(buf);
                hash = Crc32C.Append(hash, buf);
            }
            return new HashResponse { Header = Header(), Hash = hash };
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// etcd 3.4's HashByRev over its "key" bucket: CRC-32C of the bucket name, then for each revision in order its
    /// bucket key (8-byte big-endian main, '_', 8-byte big-endian sub, and 't' for a tombstone) and the stored
    /// mvccpb.KeyValue. Equal history gives the hash etcd itself reports.
    /// </summary>
    private uint HashHistory(long rev)
    {
        // etcd hashes a revision at or below the compact revision only if a compaction at `rev` would keep it
        // (kvindex.Keep(rev)), unless nothing would be kept at all. The history is hashed as the last compaction
        // leaves it once its batches are done: what it drops is skipped while they run, so the hash does not depend
        // on their progress (ModelTests: HashKV across a reopen that resumes them).
        var keep = new HashSet<Revision>();
        var survivors = new HashSet<Revision>();
        if (_compactRev >= 0)
        {
            foreach (KeyIndex ki in _index.Scan([], []))
            {
                if (ki.TryKeep(rev, out Revision kept)) keep.Add(kept);
                if (ki.TryKeep(_compactRev, out Revision survivor)) survivors.Add(survivor);
            }
        }
        uint hash = Crc32C.Append(0, "key"u8);
        Span<byte> bucketKey = stackalloc byte[18];
        foreach (Revision r in HistoryRevisions(rev))
        {
            if (r.Main <= _compactRev && !survivors.Contains(r)) continue;
            if (r.Main <= _compactRev && keep.Count > 0 && !keep.Contains(r)) continue;
            byte[] record = _records.Read(r) ?? throw new InvalidOperationException($"record {r} missing");
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(bucketKey, r.Main);
            bucketKey[8] = (byte)'_';
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(bucketKey[9..], r.Sub);
            bucketKey[17] = (byte)'t';
            bool tombstone = record[0] == RecordCodec.KindTombstone;
            hash = Crc32C.Append(hash, tombstone ? bucketKey : bucketKey[..17]);
            hash = Crc32C.Append(hash, record.AsSpan(1));
        }
        return hash;
    }

    /// <summary>Every revision the index holds at or below rev, in revision order. Caller holds a lock.</summary>
    private List<Revision> HistoryRevisions(long rev)
    {
        var revs = new List<Revision>();
        foreach (KeyIndex ki in _index.Scan([], [])) ki.CollectRevisions(0, rev, revs);
        revs.Sort();
        return revs;
    }
}
