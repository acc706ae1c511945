namespace KvStore.Mvcc.Leases;

/// <summary>
/// One lease: its id, granted TTL, the keys attached to it, and a local expiry time. The expiry is soft,
/// member-local state (milliseconds on the caller's clock); only TTL, checkpointed remaining TTL and the
/// attached keys are replicated state.
/// </summary>
public sealed class Lease
{
    internal Lease(long id, long ttl)
    {
        Id = id;
        Ttl = ttl;
    }

    public long Id { get; }

    /// <summary>Granted TTL in seconds (after raising it to the minimum TTL).</summary>
    public long Ttl { get; internal set; }

    /// <summary>Remaining TTL recorded by the last lease checkpoint, in seconds (0: none).</summary>
    public long RemainingTtl { get; internal set; }

    /// <summary>When the lease expires on the caller's clock (milliseconds); long.MaxValue: never.</summary>
    public long ExpiryMs { get; internal set; } = long.MaxValue;

    internal readonly HashSet<byte[]> KeySet = new(ByteArrayComparer.Instance);

    /// <summary>The attached keys, sorted.</summary>
    public IReadOnlyList<byte[]> Keys()
    {
        var keys = KeySet.ToList();
        keys.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
        return keys;
    }

    /// <summary>Seconds left at <paramref name="nowMs"/> (truncated, as etcd's TimeToLive reports).</summary>
    public long RemainingSeconds(long nowMs) =>
        ExpiryMs == long.MaxValue ? Ttl : Math.Max(0, (ExpiryMs - nowMs) / 1000);

    /// <summary>Restarts the countdown from <paramref name="nowMs"/> with the full TTL (or the checkpointed rest).</summary>
    internal void Refresh(long nowMs, bool useRemaining)
    {
        long ttl = useRemaining && RemainingTtl > 0 ? RemainingTtl : Ttl;
        ExpiryMs = nowMs + ttl * 1000;
    }
}
