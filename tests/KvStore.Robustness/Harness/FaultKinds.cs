namespace KvStore.Robustness.Harness;

/// <summary>The fault kinds a run's --faults names (recorded as <see cref="History.FaultRecord.Kind"/>).</summary>
public static class FaultKinds
{
    /// <summary>SIGKILL of the leader, restart on its data dir after a short while.</summary>
    public const string KillLeader = "kill-leader";

    /// <summary>SIGKILL of a random member, then restart.</summary>
    public const string Kill = "kill";

    /// <summary>SIGSTOP of a random member for 1.5 to 3 election timeouts, then SIGCONT.</summary>
    public const string Pause = "pause";

    /// <summary>SIGSTOP of the leader, as <see cref="Pause"/>.</summary>
    public const string PauseLeader = "pause-leader";

    /// <summary>SIGKILL of a follower, writes go on for a few seconds (past the low --snapshot-count), then restart: it catches up from a snapshot.</summary>
    public const string RestartSnapshot = "restart-snapshot";

    /// <summary>Cuts the leader's Raft links to the others for 1.5 to 3 election timeouts (clients still reach it), then heals.</summary>
    public const string PartitionLeader = "partition-leader";

    /// <summary>Cuts a random member's Raft links, as <see cref="PartitionLeader"/>.</summary>
    public const string Partition = "partition";

    /// <summary>Holds a random member's Raft traffic 100 to 400 ms each way for a few seconds.</summary>
    public const string Delay = "delay";

    /// <summary>MemberRemove of a random member, its data wiped, then MemberAdd and a start from empty (it catches up from the leader).</summary>
    public const string RemoveReadd = "remove-readd";

    /// <summary>A random member's tmpfs data dir filled for a few seconds, then freed (restarted if it exited).</summary>
    public const string DiskFull = "disk-full";

    /// <summary>A random member's Raft log writes each held 100 to 400 ms (the raftBeforeSave failpoint: a slow disk) for a few seconds. kvstore only.</summary>
    public const string SlowSave = "slow-save";

    /// <summary>
    /// A random member dies at its next Raft log write, before writing (raftBeforeSave=panic) or after the sync and before
    /// anyone is told (raftAfterSave=panic), then restarts on its data dir. kvstore only.
    /// </summary>
    public const string CrashSave = "crash-save";

    public static readonly IReadOnlyList<string> All =
        [KillLeader, Kill, Pause, PauseLeader, RestartSnapshot, PartitionLeader, Partition, Delay, RemoveReadd, DiskFull, SlowSave, CrashSave];

    /// <summary>Whether the run needs kvstore's failpoints (etcd 3.4 from apt is built without gofail's).</summary>
    public static bool NeedFailpoints(IReadOnlyList<string> kinds) => kinds.Any(UsesFailpoints);

    /// <summary>Whether <paramref name="kind"/> is injected through kvstore's failpoints.</summary>
    public static bool UsesFailpoints(string kind) => kind is SlowSave or CrashSave;

    /// <summary>Whether the run needs the peer proxy (partitions and delays).</summary>
    public static bool NeedProxy(IReadOnlyList<string> kinds) => kinds.Any(k => k is PartitionLeader or Partition or Delay);

    /// <summary>--snapshot-count given to the members when <see cref="RestartSnapshot"/> is scheduled.</summary>
    public const int LowSnapshotCount = 500;

    /// <summary>
    /// --experimental-snapshot-catchup-entries given to kvstore members with <see cref="LowSnapshotCount"/> (etcd 3.4
    /// keeps its fixed 5000): small enough that a member down a few seconds catches up by snapshot, large enough
    /// that one whose install is slow still finds the entries after it.
    /// </summary>
    public const int LowCatchUpEntries = 500;

    /// <summary>Splits a comma-separated list ("kill,pause"; "all"; "none" or empty for no faults); throws on an unknown kind.</summary>
    public static IReadOnlyList<string> Parse(string list)
    {
        if (list is "" or "none") return [];
        if (list == "all") return All;
        var kinds = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
        var unknown = kinds.Where(k => !All.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"unknown fault kind(s) {string.Join(", ", unknown)}; known: {string.Join(", ", All)}");
        }
        return kinds;
    }
}
