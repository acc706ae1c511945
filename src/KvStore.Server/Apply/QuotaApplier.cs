using Etcdserverpb;

namespace KvStore.Server.Apply;

/// <summary>
/// etcd's quotaApplierV3: a write the quota charges for (put, txn, lease grant) that finds no room at apply is still
/// applied (every member applies it alike) but answered NOSPACE, and the member raises the NOSPACE alarm (etcd's
/// applyEntryNormal). The propose path refuses such writes first (<see cref="Quota.Admits"/>); this link catches the
/// ones admitted together just below the quota. Tested by QuotaApplierTests.
/// </summary>
internal sealed class QuotaApplier(Quota quota, IApplier next) : IApplier
{
    public ApplyResult Apply(long index, InternalRaftRequest request, long nowMs)
    {
        bool room = quota.Available(request);
        ApplyResult result = next.Apply(index, request, nowMs);
        if (room || result.Error != Mvcc.MvccError.None || result.ServerError != ServerError.None || result.Response is null) return result;
        quota.RaiseNoSpace();
        return result with { ServerError = ServerError.NoSpace };
    }
}
