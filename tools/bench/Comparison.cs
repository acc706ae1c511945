namespace KvStore.Bench;

/// <summary>
/// One workload on one topology: each system's best round (highest requests/s), kvstore/etcd of the best rounds,
/// the range of the ratios of rounds run in the same round, and the target for it.
/// </summary>
internal sealed record Comparison(int Members, Workload Workload, RunRecord? Etcd, RunRecord? KvStore,
    double? Ratio, (double Low, double High)? RoundRatios, Target? Target)
{
    public bool? TargetMet => Target is null || Ratio is null
        ? null
        : Target.IsMet(Ratio.Value, KvStore!.Result.P99Ms, Etcd!.Result.P99Ms);

    /// <summary>One comparison per topology and workload that has a run, topologies ascending, workloads in catalogue order.</summary>
    public static IReadOnlyList<Comparison> From(IEnumerable<RunRecord> records)
    {
        var list = new List<Comparison>();
        foreach (IGrouping<int, RunRecord> topology in records.GroupBy(r => r.Members).OrderBy(g => g.Key))
        {
            foreach (Workload workload in Workload.All)
            {
                RunRecord[] runs = [.. topology.Where(r => r.Workload == workload.Name)];
                if (runs.Length > 0) list.Add(Compare(topology.Key, workload, runs));
            }
        }
        return list;
    }

    private static Comparison Compare(int members, Workload workload, RunRecord[] runs)
    {
        RunRecord? etcd = Best(runs, "etcd"), kvstore = Best(runs, "kvstore");
        double? ratio = etcd is { Result.RequestsPerSecond: > 0 } && kvstore is not null
            ? kvstore.Result.RequestsPerSecond / etcd.Result.RequestsPerSecond
            : null;
        double[] paired = [.. runs.Where(r => r.System == "kvstore")
            .Select(k => (k, e: runs.FirstOrDefault(e => e.System == "etcd" && e.Round == k.Round)))
            .Where(p => p.e is { Result.RequestsPerSecond: > 0 })
            .Select(p => p.k.Result.RequestsPerSecond / p.e!.Result.RequestsPerSecond)];
        return new Comparison(members, workload, etcd, kvstore, ratio,
            paired.Length > 0 ? (paired.Min(), paired.Max()) : null, Targets.For(members, workload));
    }

    private static RunRecord? Best(IEnumerable<RunRecord> runs, string system) =>
        runs.Where(r => r.System == system).MaxBy(r => r.Result.RequestsPerSecond);
}
