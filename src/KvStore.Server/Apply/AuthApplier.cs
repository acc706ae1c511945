using Etcdserverpb;
using KvStore.Mvcc;
using KvStore.Server.Access;

namespace KvStore.Server.Apply;

/// <summary>
/// etcd's authApplierV3: a command runs as the user and auth revision in its header (<see cref="AuthApplyChecks"/>);
/// a refused one only moves the consistent index. Tested by the auth tests of KvStore.Etcdctl.Tests and Grpc.Tests.
/// </summary>
internal sealed class AuthApplier(AuthStore auth, MvccStore store, IApplier next) : IApplier
{
    public ApplyResult Apply(long index, InternalRaftRequest request, long nowMs)
    {
        MvccError denied = AuthApplyChecks.Check(auth, store, request);
        if (denied == MvccError.None) return next.Apply(index, request, nowMs);
        store.MarkApplied(index);
        return new ApplyResult(null, denied);
    }
}
