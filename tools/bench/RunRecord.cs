namespace KvStore.Bench;

/// <summary>
/// One measured run: a workload against one system's cluster in one round, with the servers' CPU during it and the
/// member (from 1) that led as it started (null: not known, or runs recorded before it was).
/// </summary>
internal sealed record RunRecord(string System, int Members, int Round, string Workload, LoadgenResult Result,
    double ServerCpuSeconds, double Load1, DateTimeOffset At, int? Leader = null)
{
    /// <summary>Server CPU (all members) per successful request, µs.</summary>
    public double CpuMicrosPerRequest => Result.Ok > 0 ? ServerCpuSeconds * 1e6 / Result.Ok : 0;
}
