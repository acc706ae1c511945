using Etcdserverpb;
using KvStore.Mvcc;

namespace KvStore.Server.Apply;

/// <summary>
/// etcd's applierV3Capped: while NOSPACE is raised, what the quota charges for (<see cref="Quota.Cost"/>) is refused
/// with "database space exceeded"; the rest passes. Tested by QuotaTests and EtcdServerTests (NOSPACE).
/// </summary>
internal sealed class CappedApplier(AlarmStore alarms, MvccStore store, IApplier next) : IApplier
{
    public ApplyResult Apply(long index, InternalRaftRequest request, long nowMs)
    {
        if (!alarms.NoSpace || Quota.Cost(request) == 0) return next.Apply(index, request, nowMs);
        store.MarkApplied(index);
        return new ApplyResult(null, ServerError: ServerError.NoSpace);
    }
}
