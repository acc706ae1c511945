using KvStore.Robustness.History;
using KvStore.Robustness.Traffic;

namespace KvStore.Robustness.Harness;

/// <summary>One fault's recovery: from its <see cref="FaultRecord.RecoveryFrom"/> to the first acknowledged write and linearizable read invoked after it.</summary>
public sealed record Recovery(FaultRecord Fault, double? FirstWriteMs, double? FirstReadMs);

/// <summary>Availability measured from a recorded history: recovery per fault and the clients' throughput.</summary>
public static class Availability
{
    public static IReadOnlyList<Recovery> Recoveries(RecordedHistory history) =>
        history.Faults.Select(f => new Recovery(f,
            FirstOk(history, f.RecoveryFrom, IsWrite),
            FirstOk(history, f.RecoveryFrom, o => o.Request is RangeRequest { Serializable: false }))).ToList();

    /// <summary>Acknowledged operations per second of the traffic clients (probes excluded) between the first invoke and the last return.</summary>
    public static double OpsPerSecond(RecordedHistory history)
    {
        var ops = history.Operations.Where(o => o.Client < Prober.FirstClient).ToList();
        if (ops.Count == 0) return 0;
        double seconds = (ops.Max(o => o.Return) - ops.Min(o => o.Invoke)) / 1e9;
        return seconds <= 0 ? 0 : ops.Count(o => o.Outcome == Outcome.Ok) / seconds;
    }

    private static double? FirstOk(RecordedHistory history, long from, Func<Operation, bool> kind)
    {
        long? first = history.Operations
            .Where(o => o.Outcome == Outcome.Ok && o.Invoke >= from && kind(o))
            .Select(o => (long?)o.Return).Min();
        return first is { } t ? (t - from) / 1e6 : null;
    }

    private static bool IsWrite(Operation o) => o.Request is PutRequest or DeleteRequest ||
        o.Request is TxnRequest t && t.Success.Concat(t.Failure).Any(r => r is not RangeRequest);
}
