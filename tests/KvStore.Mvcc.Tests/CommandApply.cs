using System.Runtime.CompilerServices;
using Etcdserverpb;
using KvStore.Server.Access;
using KvStore.Server.Apply;

namespace KvStore.Mvcc.Tests;

/// <summary>
/// Applies a log command to the engine as a member's backend applier does (<see cref="BackendApplier"/>), one applier
/// and auth store per engine instance, as a member has (a reopened engine gets new ones, recovered from its records).
/// </summary>
internal static class CommandApply
{
    private static readonly ConditionalWeakTable<MvccStore, BackendApplier> Appliers = new();

    public static ApplyResult Apply(this MvccStore store, long index, InternalRaftRequest command, long nowMs = 0) =>
        Appliers.GetValue(store, s => new BackendApplier(s)).Apply(index, command, nowMs);

    /// <summary>The auth store the engine's commands are applied to (etcd's authStore beside the backend).</summary>
    public static AuthStore Auth(this MvccStore store) => Appliers.GetValue(store, s => new BackendApplier(s)).Auth;
}
