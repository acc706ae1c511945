using Etcdserverpb;

namespace KvStore.ApiServer.Storage;

/// <summary>
/// kube-apiserver's leaseManager (storage/etcd3/lease_manager.go): objects written with a TTL (events) share one lease
/// while it is still good for the TTL asked for, instead of one lease per object - the leases are what etcd has to
/// expire one by one, and a busy cluster writes thousands of events. The lease is granted with 5% extra TTL (at most
/// 60 s) and reused while it expires no earlier than now+ttl and no later than now+ttl+extra, for at most 1000 objects.
/// </summary>
internal sealed class LeaseManager(IKeyValue kv)
{
    private const double ReuseDurationPercent = 0.05;
    private const long ReuseDurationSeconds = 60;
    private const long MaxObjectsPerLease = 1000;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _leaseId;
    private DateTime _expires;
    private long _attached;

    public async Task<long> GetLeaseAsync(long ttlSeconds, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            DateTime now = DateTime.UtcNow;
            long extra = Math.Min((long)(ReuseDurationPercent * ttlSeconds), ReuseDurationSeconds);
            bool valid = now.AddSeconds(ttlSeconds) < _expires;
            bool sufficient = now.AddSeconds(ttlSeconds + extra) > _expires;
            _attached++;
            if (_leaseId != 0 && valid && sufficient && _attached <= MaxObjectsPerLease) return _leaseId;

            long ttl = ttlSeconds + extra;
            LeaseGrantResponse grant = await kv.LeaseGrantAsync(new LeaseGrantRequest { TTL = ttl }, cancellationToken).ConfigureAwait(false);
            _leaseId = grant.ID;
            _expires = now.AddSeconds(ttl);
            _attached = 1;
            return _leaseId;
        }
        finally
        {
            _gate.Release();
        }
    }
}
