using System.Runtime.CompilerServices;
using Etcdserverpb;
using KvStore.Mvcc;
using KvStore.Server.Apply;

namespace KvStore.CrashChild;

/// <summary>
/// Applies a log command to the engine as a member's backend applier does (<see cref="BackendApplier"/>), one applier
/// (and auth store) per engine instance, as a member has.
/// </summary>
public static class CommandApply
{
    private static readonly ConditionalWeakTable<MvccStore, BackendApplier> Appliers = new();

    public static ApplyResult Apply(this MvccStore store, long index, InternalRaftRequest command, long nowMs = 0) =>
        Appliers.GetValue(store, s => new BackendApplier(s)).Apply(index, command, nowMs);
}
