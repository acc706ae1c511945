using Etcdserverpb;
using Google.Protobuf;

namespace KvStore.Mvcc.Leases;

/// <summary>
/// etcd's lessor (lease/lessor.go): the leases by id, the lease of each key (the item map) and each lease's expiry on
/// the caller's clock, under a lock of its own. Grant, revoke and checkpoint are log commands: they write the lease
/// record (leasepb.Lease at <see cref="RecordCodec.LeaseKey"/>) in the command's <see cref="TxnWrite"/>, and revoke
/// deletes the attached keys through it. Renew, time-to-live, promote and demote touch only the expiry: they never
/// take the engine's lock. Lock order: the engine's lock, then this one.
/// </summary>
public sealed class Lessor
{
    /// <summary>etcd's MaxLeaseTTL (9,000,000,000 s).</summary>
    public const long MaxTtl = 9_000_000_000;

    private readonly Lock _lock = new();
    private readonly long _minTtl;
    private readonly Func<long> _currentRevision;
    private readonly Dictionary<long, Lease> _leases = new();

    // Changed only inside a write transaction (the engine's write lock held) and under _lock, so the engine's writer
    // may read it without _lock (Detach's empty check). Tested by LeaseTests and LessorRecoveryTests.
    private readonly Dictionary<byte[], long> _itemLease = new(ByteArrayComparer.Instance);

    internal Lessor(long minTtl, Func<long> currentRevision)
    {
        _minTtl = minTtl;
        _currentRevision = currentRevision;
    }

    /// <summary>
    /// etcd's lessor.Grant: a TTL below the minimum is raised to it; id 0 picks the next unused id above the largest
    /// one (deterministic on every member). The expiry starts at <paramref name="nowMs"/> on the caller's clock.
    /// </summary>
    public MvccResult<LeaseGrantResponse> Grant(TxnWrite tx, LeaseGrantRequest request, long nowMs)
    {
        Lease lease;
        lock (_lock)
        {
            long id = request.ID;
            if (id == 0) id = _leases.Keys.DefaultIfEmpty(0).Max() + 1;
            if (request.TTL > MaxTtl) return MvccError.LeaseTtlTooLarge;
            if (_leases.ContainsKey(id)) return MvccError.LeaseExists;
            lease = new Lease(id, Math.Max(request.TTL, _minTtl));
            lease.Refresh(nowMs, useRemaining: false);
            _leases.Add(id, lease);
        }
        Persist(tx, lease);
        return new LeaseGrantResponse { Header = Header(tx.ReadRev), ID = lease.Id, TTL = lease.Ttl };
    }

    /// <summary>
    /// etcd's lessor.Revoke: every key attached to the lease deleted through <paramref name="tx"/> in sorted order (one
    /// revision), and the lease and its record removed in the same transaction.
    /// </summary>
    public MvccResult<LeaseRevokeResponse> Revoke(TxnWrite tx, long id)
    {
        IReadOnlyList<byte[]> keys;
        lock (_lock)
        {
            if (!_leases.TryGetValue(id, out Lease? lease)) return MvccError.LeaseNotFound;
            keys = lease.Keys();
        }
        foreach (byte[] key in keys) tx.DeleteRange(key, null); // each delete detaches its key
        lock (_lock)
        {
            if (_leases.Remove(id, out Lease? lease))
            {
                foreach (byte[] key in lease.KeySet) _itemLease.Remove(key);
            }
        }
        tx.DeleteRecord(RecordCodec.LeaseKey(id));
        return new LeaseRevokeResponse { Header = Header(tx.ReadRev) };
    }

    /// <summary>
    /// etcd's lessor.Checkpoint: records the remaining TTL of leases, so a new leader keeps the countdown. A lease that
    /// no longer exists (revoked after the checkpoint was proposed) is skipped.
    /// </summary>
    public MvccResult<LeaseCheckpointResponse> Checkpoint(TxnWrite tx, LeaseCheckpointRequest request)
    {
        foreach (Etcdserverpb.LeaseCheckpoint cp in request.Checkpoints)
        {
            Lease? lease;
            lock (_lock)
            {
                if (!_leases.TryGetValue(cp.ID, out lease)) continue;
                lease.RemainingTtl = cp.RemainingTTL;
            }
            Persist(tx, lease);
        }
        return new LeaseCheckpointResponse { Header = Header(tx.ReadRev) };
    }

    /// <summary>etcd's lessor.Renew (keep-alive): restarts the lease's countdown from <paramref name="nowMs"/>. Not a log command.</summary>
    public MvccResult<LeaseKeepAliveResponse> Renew(long id, long nowMs)
    {
        lock (_lock)
        {
            if (!_leases.TryGetValue(id, out Lease? lease)) return MvccError.LeaseNotFound;
            lease.Refresh(nowMs, useRemaining: false);
            return new LeaseKeepAliveResponse { Header = Header(_currentRevision()), ID = id, TTL = lease.Ttl };
        }
    }

    /// <summary>Remaining and granted TTL of a lease at <paramref name="nowMs"/>, with its keys on request.</summary>
    public MvccResult<LeaseTimeToLiveResponse> TimeToLive(LeaseTimeToLiveRequest request, long nowMs)
    {
        lock (_lock)
        {
            if (!_leases.TryGetValue(request.ID, out Lease? lease)) return MvccError.LeaseNotFound;
            var resp = new LeaseTimeToLiveResponse
            {
                Header = Header(_currentRevision()), ID = lease.Id, TTL = lease.RemainingSeconds(nowMs), GrantedTTL = lease.Ttl,
            };
            if (request.Keys)
            {
                foreach (byte[] key in lease.Keys()) resp.Keys.Add(ByteString.CopyFrom(key));
            }
            return resp;
        }
    }

    /// <summary>Every lease id in order (etcd's LeaseLeases).</summary>
    public LeaseLeasesResponse Leases()
    {
        lock (_lock)
        {
            var resp = new LeaseLeasesResponse { Header = Header(_currentRevision()) };
            foreach (long id in _leases.Keys.Order()) resp.Leases.Add(new LeaseStatus { ID = id });
            return resp;
        }
    }

    /// <summary>Whether lease <paramref name="id"/> exists (a put naming a lease needs one).</summary>
    public bool Exists(long id)
    {
        lock (_lock) return _leases.ContainsKey(id);
    }

    /// <summary>etcd's lessor.Lookup: a snapshot of one lease (null if there is none).</summary>
    public (long Ttl, long RemainingTtl, long ExpiryMs, IReadOnlyList<byte[]> Keys)? Lookup(long id)
    {
        lock (_lock)
        {
            return _leases.TryGetValue(id, out Lease? l) ? (l.Ttl, l.RemainingTtl, l.ExpiryMs, l.Keys()) : null;
        }
    }

    /// <summary>Ids of the leases expired at <paramref name="nowMs"/>, soonest first; the caller revokes them through the log.</summary>
    public IReadOnlyList<long> Expired(long nowMs, int max = int.MaxValue)
    {
        lock (_lock)
        {
            return _leases.Values.Where(l => l.ExpiryMs <= nowMs).OrderBy(l => l.ExpiryMs).ThenBy(l => l.Id)
                .Take(max).Select(l => l.Id).ToList();
        }
    }

    /// <summary>etcd's lessor.Promote, on becoming leader: every lease counts down from <paramref name="nowMs"/>.</summary>
    public void Promote(long nowMs)
    {
        lock (_lock)
        {
            foreach (Lease l in _leases.Values) l.Refresh(nowMs, useRemaining: true);
        }
    }

    /// <summary>etcd's lessor.Demote, on losing leadership: no lease expires here any more.</summary>
    public void Demote()
    {
        lock (_lock)
        {
            foreach (Lease l in _leases.Values) l.ExpiryMs = long.MaxValue;
        }
    }

    /// <summary>etcd's lessor.Attach, from the engine's put: <paramref name="key"/> belongs to lease <paramref name="id"/> if it exists.</summary>
    internal void Attach(long id, byte[] key)
    {
        lock (_lock)
        {
            if (!_leases.TryGetValue(id, out Lease? lease)) return;
            lease.KeySet.Add(key);
            _itemLease[key] = id;
        }
    }

    /// <summary>etcd's lessor.Detach, from the engine's put or delete: <paramref name="key"/> leaves the lease it had.</summary>
    internal void Detach(byte[] key)
    {
        if (_itemLease.Count == 0) return; // no leased key: the put path takes no lock
        lock (_lock)
        {
            if (_itemLease.Remove(key, out long id) && _leases.TryGetValue(id, out Lease? lease)) lease.KeySet.Remove(key);
        }
    }

    /// <summary>Recovery (etcd's lessor.initAndRecover): the leases of the lease records; the engine then re-attaches keys.</summary>
    internal void Recover(IEnumerable<byte[]> records)
    {
        lock (_lock)
        {
            foreach (byte[] record in records)
            {
                Leasepb.Lease pb = Leasepb.Lease.Parser.ParseFrom(record);
                _leases[pb.ID] = new Lease(pb.ID, pb.TTL) { RemainingTtl = pb.RemainingTTL };
            }
        }
    }

    /// <summary>Forgets every lease (before a snapshot or a backup replaces the state).</summary>
    internal void Reset()
    {
        lock (_lock)
        {
            _leases.Clear();
            _itemLease.Clear();
        }
    }

    /// <summary>Every lease as its record (leasepb.Lease: id, TTL, remaining TTL), in id order: for snapshots, backups and the hash.</summary>
    internal List<Leasepb.Lease> Records()
    {
        lock (_lock)
        {
            return _leases.Values.OrderBy(l => l.Id).Select(ToRecord).ToList();
        }
    }

    private static Leasepb.Lease ToRecord(Lease l) => new() { ID = l.Id, TTL = l.Ttl, RemainingTTL = l.RemainingTtl };

    private static void Persist(TxnWrite tx, Lease lease) => tx.PutRecord(RecordCodec.LeaseKey(lease.Id), ToRecord(lease).ToByteArray());

    private static ResponseHeader Header(long revision) => new() { Revision = revision };
}
