namespace KvStore.Mvcc.Leases;

/// <summary>
/// The data half of etcd's lessor: leases by id and the lease of each key. Deterministic and clock-free: the
/// caller passes its time to every method that needs one. Not thread-safe: the store's lock guards it.
/// </summary>
internal sealed class LeaseTable
{
    /// <summary>etcd's MaxLeaseTTL (9,000,000,000 s).</summary>
    public const long MaxTtl = 9_000_000_000;

    private readonly Dictionary<long, Lease> _leases = new();
    private readonly Dictionary<byte[], long> _keyLease = new(ByteArrayComparer.Instance);

    public int Count => _leases.Count;

    public Lease? Lookup(long id) => _leases.GetValueOrDefault(id);

    public IEnumerable<Lease> All => _leases.Values;

    public long LeaseOf(byte[] key) => _keyLease.GetValueOrDefault(key);

    public Lease Add(long id, long ttl)
    {
        var lease = new Lease(id, ttl);
        _leases.Add(id, lease);
        return lease;
    }

    public bool Remove(long id)
    {
        if (!_leases.Remove(id, out Lease? lease)) return false;
        foreach (byte[] key in lease.KeySet) _keyLease.Remove(key);
        return true;
    }

    public void Attach(long id, byte[] key)
    {
        if (_leases.TryGetValue(id, out Lease? lease))
        {
            lease.KeySet.Add(key);
            _keyLease[key] = id;
        }
    }

    public void Detach(long id, byte[] key)
    {
        if (_leases.TryGetValue(id, out Lease? lease)) lease.KeySet.Remove(key);
        _keyLease.Remove(key);
    }

    public void Clear()
    {
        _leases.Clear();
        _keyLease.Clear();
    }
}
