using Etcdserverpb;
using KvStore.Mvcc.Index;
using KvStore.Mvcc.Leases;
using KvStore.Storage;
using Lease = KvStore.Mvcc.Leases.Lease;

namespace KvStore.Mvcc;

public sealed partial class MvccStore
{
    /// <summary>
    /// Grants a lease (etcd's lessor.Grant): a TTL below the minimum is raised to it; id 0 picks the next
    /// unused id above the largest one (deterministic on every member). The expiry starts at
    /// <paramref name="nowMs"/> on the caller's clock.
    /// </summary>
    public MvccResult<LeaseGrantResponse> LeaseGrant(LeaseGrantRequest request, long index = 0, long nowMs = 0) =>
        Write<LeaseGrantResponse>(index, () =>
        {
            long id = request.ID;
            if (id == 0) id = _leases.All.Select(l => l.Id).DefaultIfEmpty(0).Max() + 1;
            if (request.TTL > LeaseTable.MaxTtl) return MvccError.LeaseTtlTooLarge;
            if (_leases.Lookup(id) is not null) return MvccError.LeaseExists;
            Lease lease = _leases.Add(id, Math.Max(request.TTL, Options.MinLeaseTtl));
            lease.Refresh(nowMs, useRemaining: false);
            PersistLease(lease);
            return new LeaseGrantResponse { Header = Header(), ID = id, TTL = lease.Ttl };
        });

    /// <summary>Revokes a lease, deleting every key attached to it in one revision (keys in sorted order).</summary>
    public MvccResult<LeaseRevokeResponse> LeaseRevoke(long id, long index = 0) =>
        Write<LeaseRevokeResponse>(index, () =>
        {
            Lease? lease = _leases.Lookup(id);
            if (lease is null) return MvccError.LeaseNotFound;
            var tx = NestedWrite();
            foreach (byte[] key in lease.Keys())
            {
                KeyIndex? ki = _index.Get(key);
                if (ki is not null && ki.IsLive) DeleteLocked(tx, ki);
            }
            _leases.Remove(id);
            _records.Delete(RecordCodec.LeaseKey(id));
            MarkDirty(Revision.EncodedSize);
            EndLocked(tx);
            return new LeaseRevokeResponse { Header = Header() };
        });

    /// <summary>
    /// Records the remaining TTL of leases (etcd's lease checkpoint), so a new leader keeps the countdown. A lease
    /// that no longer exists (revoked after the checkpoint was proposed) is skipped, as etcd's lessor.Checkpoint does.
    /// </summary>
    public MvccResult<LeaseCheckpointResponse> LeaseCheckpoint(LeaseCheckpointRequest request, long index = 0) =>
        Write<LeaseCheckpointResponse>(index, () =>
        {
            foreach (Etcdserverpb.LeaseCheckpoint cp in request.Checkpoints)
            {
                Lease? lease = _leases.Lookup(cp.ID);
                if (lease is null) continue;
                lease.RemainingTtl = cp.RemainingTTL;
                PersistLease(lease);
            }
            return new LeaseCheckpointResponse { Header = Header() };
        });

    /// <summary>Keep-alive: restarts the lease's countdown from <paramref name="nowMs"/>. Not a log command.</summary>
    public MvccResult<LeaseKeepAliveResponse> LeaseRenew(long id, long nowMs)
    {
        _lock.EnterWriteLock();
        try
        {
            Lease? lease = _leases.Lookup(id);
            if (lease is null) return MvccError.LeaseNotFound;
            lease.Refresh(nowMs, useRemaining: false);
            return new LeaseKeepAliveResponse { Header = Header(), ID = id, TTL = lease.Ttl };
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Remaining and granted TTL of a lease at <paramref name="nowMs"/>, with its keys on request.</summary>
    public MvccResult<LeaseTimeToLiveResponse> LeaseTimeToLive(LeaseTimeToLiveRequest request, long nowMs)
    {
        _lock.EnterReadLock();
        try
        {
            Lease? lease = _leases.Lookup(request.ID);
            if (lease is null) return MvccError.LeaseNotFound;
            var resp = new LeaseTimeToLiveResponse
            {
                Header = Header(), ID = lease.Id, TTL = lease.RemainingSeconds(nowMs), GrantedTTL = lease.Ttl,
            };
            if (request.Keys)
            {
                foreach (byte[] key in lease.Keys()) resp.Keys.Add(Google.Protobuf.ByteString.CopyFrom(key));
            }
            return resp;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Every lease id (etcd's LeaseLeases).</summary>
    public LeaseLeasesResponse LeaseLeases()
    {
        _lock.EnterReadLock();
        try
        {
            var resp = new LeaseLeasesResponse { Header = Header() };
            foreach (Lease l in _leases.All.OrderBy(l => l.Id)) resp.Leases.Add(new LeaseStatus { ID = l.Id });
            return resp;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>A snapshot of one lease (null if there is none).</summary>
    public (long Ttl, long RemainingTtl, long ExpiryMs, IReadOnlyList<byte[]> Keys)? LookupLease(long id)
    {
        _lock.EnterReadLock();
        try
        {
            Lease? l = _leases.Lookup(id);
            return l is null ? null : (l.Ttl, l.RemainingTtl, l.ExpiryMs, l.Keys());
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Ids of the leases expired at <paramref name="nowMs"/>, soonest first; the caller revokes them.</summary>
    public IReadOnlyList<long> ExpiredLeases(long nowMs, int max = int.MaxValue)
    {
        _lock.EnterReadLock();
        try
        {
            return _leases.All.Where(l => l.ExpiryMs <= nowMs).OrderBy(l => l.ExpiryMs).ThenBy(l => l.Id)
                .Take(max).Select(l => l.Id).ToList();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>On becoming leader: every lease counts down from <paramref name="nowMs"/> (etcd's Promote).</summary>
    public void PromoteLeases(long nowMs)
    {
        _lock.EnterWriteLock();
        try
        {
            foreach (Lease l in _leases.All) l.Refresh(nowMs, useRemaining: true);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>On losing leadership: no lease expires here any more (etcd's Demote).</summary>
    public void DemoteLeases()
    {
        _lock.EnterWriteLock();
        try
        {
            foreach (Lease l in _leases.All) l.ExpiryMs = long.MaxValue;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private ResponseHeader Header() => new() { Revision = _currentRev };
}
