using Etcdserverpb;
using KvStore.Mvcc;
using KvStore.Server.Apply;

namespace KvStore.CrashChild;

/// <summary>Applies a log command to the engine as a member's backend applier does (<see cref="BackendApplier"/>).</summary>
public static class CommandApply
{
    public static ApplyResult Apply(this MvccStore store, long index, InternalRaftRequest command, long nowMs = 0) =>
        new BackendApplier(store).Apply(index, command, nowMs);
}
