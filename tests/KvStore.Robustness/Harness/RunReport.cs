using KvStore.Robustness.History;
using KvStore.Robustness.Traffic;

namespace KvStore.Robustness.Harness;

/// <summary>The human summary of a recorded run: counts, throughput, faults with their recovery, final states.</summary>
public static class RunReport
{
    public static void Write(RecordedHistory history, TextWriter output)
    {
        var ops = history.Operations;
        output.WriteLine($"{history.Target}, {history.Members} members, {history.Scenario}, seed {history.Seed}");
        output.WriteLine($"operations: {ops.Count} ({Count(ops, Outcome.Ok)} ok, {Count(ops, Outcome.Failed)} failed, {Count(ops, Outcome.Unknown)} unknown), " +
            $"{ops.Count(o => o.Client >= Prober.FirstClient)} of them probes");
        output.WriteLine($"throughput: {Availability.OpsPerSecond(history):0} ok ops/s (traffic clients)");
        output.WriteLine($"watches: {history.Watches.Count} streams, {history.Watches.Sum(w => w.Responses.Count)} responses, " +
            $"{history.Watches.Sum(w => w.Responses.Sum(r => r.Events.Count))} events, {history.Watches.Count(w => w.Error is not null)} broken");
        output.WriteLine($"faults: {history.Faults.Count}");
        foreach (Recovery r in Availability.Recoveries(history))
        {
            output.WriteLine($"  {r.Fault.Kind,-16} m{r.Fault.Member + 1} lasted {(r.Fault.End - r.Fault.Start) / 1e6,6:0} ms; " +
                $"first write {Ms(r.FirstWriteMs)}, first linearizable read {Ms(r.FirstReadMs)} after {(r.Fault.RecoveryFrom == r.Fault.Start ? "its start" : "its end")}");
        }
        foreach (var group in Availability.Recoveries(history).GroupBy(r => r.Fault.Kind))
        {
            output.WriteLine($"  {group.Key}: write recovery median {Ms(Median(group.Select(r => r.FirstWriteMs)))}, max {Ms(group.Max(r => r.FirstWriteMs))}; " +
                $"read median {Ms(Median(group.Select(r => r.FirstReadMs)))}, max {Ms(group.Max(r => r.FirstReadMs))}");
        }
        foreach (MemberState s in history.FinalStates)
        {
            output.WriteLine($"final {s.Name}: revision {s.Revision}, compacted {s.CompactRevision}, hashkv {s.HashKv}, {s.Kvs.Count} keys, {s.Leases.Count} leases");
        }
    }

    private static int Count(IEnumerable<Operation> ops, Outcome outcome) => ops.Count(o => o.Outcome == outcome);

    private static string Ms(double? ms) => ms is { } v ? $"{v:0} ms" : "none";

    private static double? Median(IEnumerable<double?> values)
    {
        var sorted = values.OfType<double>().Order().ToList();
        return sorted.Count == 0 ? null : sorted[sorted.Count / 2];
    }
}
