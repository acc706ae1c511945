using KvStore.Robustness.History;
using KvStore.Robustness.Traffic;

namespace KvStore.Robustness.Harness;

/// <summary>The human summary of a recorded run: counts, faults, final states (the check report adds availability).</summary>
public static class RunReport
{
    public static void Write(RecordedHistory history, TextWriter output)
    {
        var ops = history.Operations;
        output.WriteLine($"{history.Target}, {history.Members} members, {history.Scenario}, seed {history.Seed}");
        output.WriteLine($"operations: {ops.Count} ({Count(ops, Outcome.Ok)} ok, {Count(ops, Outcome.Failed)} failed, {Count(ops, Outcome.Unknown)} unknown), " +
            $"{ops.Count(o => o.Client >= Prober.FirstClient)} of them probes");
        var traffic = ops.Where(o => o.Client < Prober.FirstClient).ToList();
        double seconds = traffic.Count == 0 ? 0 : (traffic.Max(o => o.Return) - traffic.Min(o => o.Invoke)) / 1e9;
        output.WriteLine($"throughput: {(seconds > 0 ? Count(traffic, Outcome.Ok) / seconds : 0):0} ok ops/s of the traffic clients (probes left out)");
        output.WriteLine($"watches: {history.Watches.Count} streams, {history.Watches.Sum(w => w.Responses.Count)} responses, " +
            $"{history.Watches.Sum(w => w.Responses.Sum(r => r.Events.Count))} events, {history.Watches.Count(w => w.Error is not null)} broken");
        output.WriteLine($"faults: {history.Faults.Count}");
        foreach (MemberState s in history.FinalStates)
        {
            output.WriteLine($"final {s.Name}: revision {s.Revision}, compacted {s.CompactRevision}, hashkv {s.HashKv}, {s.Kvs.Count} keys, {s.Leases.Count} leases");
        }
    }

    private static int Count(IEnumerable<Operation> ops, Outcome outcome) => ops.Count(o => o.Outcome == outcome);
}
