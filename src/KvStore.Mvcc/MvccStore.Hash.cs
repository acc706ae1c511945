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
            foreach (Leases.Lease l in _leases.All.OrderBy(l => l.Id))
            {
                new Revision(l.Id, l.Ttl).WriteTo(buf);
                hash = Crc32C.Append(hash, buf);
            }
            return new HashResponse { Header = Header(), Hash = hash };
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private uint HashHistory(long rev)
    {
        uint hash = 0;
        Span<byte> revBytes = stackalloc byte[Revision.EncodedSize];
        foreach (Revision r in HistoryRevisions(rev))
        {
            r.WriteTo(revBytes);
            hash = Crc32C.Append(hash, revBytes);
            hash = Crc32C.Append(hash, _records.Read(r) ?? throw new InvalidOperationException($"record {r} missing"));
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
