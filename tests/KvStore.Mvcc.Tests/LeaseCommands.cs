using Etcdserverpb;
using KvStore.Server.Apply;

namespace KvStore.Mvcc.Tests;

/// <summary>
/// The lease log commands as the member applies them: through <see cref="BackendApplier"/> (one write transaction at the
/// index, the lessor's Grant/Revoke/Checkpoint in it), with the engine's answer or error.
/// </summary>
public static class LeaseCommands
{
    public static MvccResult<LeaseGrantResponse> LeaseGrant(this MvccStore store, LeaseGrantRequest request, long index = 0, long nowMs = 0) =>
        Apply<LeaseGrantResponse>(store, index, new InternalRaftRequest { LeaseGrant = request }, nowMs);

    public static MvccResult<LeaseRevokeResponse> LeaseRevoke(this MvccStore store, long id, long index = 0) =>
        Apply<LeaseRevokeResponse>(store, index, new InternalRaftRequest { LeaseRevoke = new LeaseRevokeRequest { ID = id } }, 0);

    public static MvccResult<LeaseCheckpointResponse> LeaseCheckpoint(this MvccStore store, LeaseCheckpointRequest request, long index = 0) =>
        Apply<LeaseCheckpointResponse>(store, index, new InternalRaftRequest { LeaseCheckpoint = request }, 0);

    private static MvccResult<T> Apply<T>(MvccStore store, long index, InternalRaftRequest request, long nowMs) where T : class
    {
        ApplyResult r = new BackendApplier(store).Apply(index, request, nowMs);
        return new MvccResult<T>(r.Error == MvccError.None ? (T)r.Response! : null, r.Error);
    }
}
