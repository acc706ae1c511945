using Etcdserverpb;

namespace KvStore.Server.Apply;

/// <summary>
/// etcd's backendQuota with its quotaAlarmer: a write is admitted while the db size plus its cost stays below the
/// quota; otherwise NOSPACE is raised (once, through the log) and the write refused. A disk without its reserve
/// refuses as well, without the alarm (no room to log it). Tested by QuotaTests against etcd 3.4.
/// </summary>
internal sealed class Quota(AlarmStore alarms, Func<long> dbSizeBytes, long quotaBytes, Func<long, bool> diskRoom,
    Func<Task> raiseNoSpace, TimeSpan requestTimeout)
{
    // etcd's estimates of what storing a key's metadata and a lease costs (etcdserver/quota.go).
    private const int KvOverhead = 256, LeaseOverhead = 64;

    private int _raising;
    private Task _raise = Task.CompletedTask;

    /// <summary>
    /// etcd's backendQuota.Cost: a put costs its key and value plus 256 bytes, a lease grant 64, a txn the larger of
    /// its success and failure puts (top level only, as etcd counts); everything else (deletes, ranges, compaction,
    /// revokes) costs nothing and is never refused for space.
    /// </summary>
    public static long Cost(InternalRaftRequest r)
    {
        if (r.Put is { } put) return KvOverhead + put.Key.Length + put.Value.Length;
        if (r.LeaseGrant is not null) return LeaseOverhead;
        if (r.Txn is { } txn) return Math.Max(TxnPuts(txn.Success), TxnPuts(txn.Failure));
        return 0;

        static long TxnPuts(IEnumerable<RequestOp> ops) =>
            ops.Sum(op => op.RequestPut is { } p ? KvOverhead + p.Key.Length + p.Value.Length : 0L);
    }

    /// <summary>A request the quota charges for: refused with NOSPACE when the quota is used up.</summary>
    public static bool IsWrite(InternalRaftRequest r) => Cost(r) > 0;

    /// <summary>
    /// Is <paramref name="request"/> admitted? What costs nothing always is; a write only while there is room, and if
    /// there is none, NOSPACE is raised (once) through the log.
    /// </summary>
    public bool Admits(InternalRaftRequest request)
    {
        long cost = Cost(request);
        if (cost == 0) return true;
        if (alarms.NoSpace || !diskRoom(cost)) return false;
        if (HasRoomFor(cost)) return true;
        RaiseNoSpace();
        return false;
    }

    /// <summary>etcd's backendQuota.Available at apply: the db has room for what the request costs.</summary>
    public bool Available(InternalRaftRequest request)
    {
        long cost = Cost(request);
        return cost == 0 || HasRoomFor(cost);
    }

    /// <summary>The db size plus <paramref name="cost"/> stays below the quota (the size is measured at most a second ago).</summary>
    private bool HasRoomFor(long cost) => dbSizeBytes() + cost < quotaBytes;

    /// <summary>etcd's quotaAlarmer: proposes this member's NOSPACE alarm, once until that proposal ends.</summary>
    public void RaiseNoSpace()
    {
        if (alarms.NoSpace || Interlocked.Exchange(ref _raising, 1) != 0) return;
        Volatile.Write(ref _raise, raiseNoSpace().ContinueWith(_ => Volatile.Write(ref _raising, 0), TaskScheduler.Default));
    }

    /// <summary>
    /// Waits (up to the request timeout) for the NOSPACE alarm being raised, as etcd's quotaAlarmer raises it before it
    /// answers NOSPACE: a client that lists the alarms next sees it. Tested by QuotaTests (KvStore.Operations.Tests).
    /// </summary>
    public Task NoSpaceRaisedAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _raise).WaitAsync(requestTimeout, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
}
