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

    public static readonly IReadOnlyList<string> All = [KillLeader, Kill, Pause, PauseLeader, RestartSnapshot];

    /// <summary>--snapshot-count given to the members when <see cref="RestartSnapshot"/> is scheduled.</summary>
    public const int LowSnapshotCount = 500;

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
