using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;
using KvStore.Server.Access;

namespace KvStore.Server.Apply;

/// <summary>
/// One link of the applier chain (etcd's applierV3): applies a committed command at its engine index. Every link
/// moves the consistent index for a command it answers itself, so a replay after a crash skips it (CrashRecoveryTests).
/// </summary>
public interface IApplier
{
    ApplyResult Apply(long index, InternalRaftRequest request, long nowMs);
}

/// <summary>The outcome of applying one committed command: the response, or the engine's or the member's error.</summary>
public readonly record struct ApplyResult(IMessage? Response, MvccError Error = MvccError.None, ServerError ServerError = ServerError.None)
{
    public static ApplyResult From<T>(MvccResult<T> r) where T : class, IMessage => new(r.Response, r.Error);

    /// <summary>What the proposer is told: a command the engine applied before a crash answers OK without a response.</summary>
    public ProposeResult ToProposeResult() => new(Response, Error == MvccError.AlreadyApplied ? MvccError.None : Error, ServerError);
}

/// <summary>etcd's newApplierV3: the NOSPACE cap, then the auth checks, then the quota, then the backend.</summary>
internal static class ApplierChain
{
    public static IApplier New(MvccStore store, AlarmStore alarms, AuthStore auth, Quota quota, Func<long, ResponseHeader> header) =>
        new CappedApplier(alarms, store, new AuthApplier(auth, store, new QuotaApplier(quota, new BackendApplier(store, alarms, auth, header))));
}
