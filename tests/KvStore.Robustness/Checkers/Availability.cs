using System.Globalization;
using System.Text;
using KvStore.Robustness.Checkers.Kv;
using KvStore.Robustness.History;

namespace KvStore.Robustness.Checkers;

/// <summary>How long one fault kept writes and linearizable reads away, in milliseconds from its RecoveryFrom (null: none came).</summary>
public sealed record FaultRecovery(FaultRecord Fault, double? FirstWriteMs, double? FirstLinearizableReadMs);

/// <summary>
/// Availability of a run: per fault, the time from <see cref="FaultRecord.RecoveryFrom"/> to the return of the
/// first acknowledged write and linearizable read invoked at or after it; and acknowledged operations per second
/// over one-second windows, split by whether a fault was active in the window (from its start to its end plus two
/// election timeouts, when recovery still costs throughput).
/// </summary>
public sealed record AvailabilityStats(
    IReadOnlyList<FaultRecovery> Recoveries,
    double OpsPerSecondWithoutFaults,
    int WindowsWithoutFaults,
    double OpsPerSecondWithFaults,
    int WindowsWithFaults,
    int ElectionTimeoutMs)
{
    private const long Second = 1_000_000_000;

    public static AvailabilityStats From(RecordedHistory history)
    {
        var ok = history.Operations.Where(o => o.Outcome == Outcome.Ok).ToList();
        var writes = ok.Where(o => KvOps.MayWrite(o.Request)).OrderBy(o => o.Invoke).ToList();
        var reads = ok.Where(o => o.Request is RangeRequest { Serializable: false }).OrderBy(o => o.Invoke).ToList();
        var recoveries = history.Faults.Select(f => new FaultRecovery(f, After(writes, f.RecoveryFrom), After(reads, f.RecoveryFrom))).ToList();
        if (history.Operations.Count == 0)
        {
            return new(recoveries, 0, 0, 0, 0, history.ElectionTimeoutMs);
        }
        var start = history.Operations.Min(o => o.Invoke);
        var end = ok.Select(o => o.Return).DefaultIfEmpty(start).Max();
        var windows = (int)((end - start) / Second);
        var counts = new int[Math.Max(windows, 0)];
        foreach (var op in ok.Where(o => o.Return - start < (long)windows * Second))
        {
            counts[(op.Return - start) / Second]++;
        }
        var tail = 2L * history.ElectionTimeoutMs * 1_000_000;
        var faulty = Enumerable.Range(0, counts.Length).Select(w => history.Faults.Any(f =>
            f.Start < start + ((w + 1) * Second) && Math.Max(f.End, f.RecoveryFrom) + tail >= start + (w * Second))).ToArray();
        double Rate(bool withFaults) => Enumerable.Range(0, counts.Length).Where(w => faulty[w] == withFaults).Select(w => (double)counts[w]).DefaultIfEmpty(0).Average();
        return new(recoveries, Rate(false), faulty.Count(f => !f), Rate(true), faulty.Count(f => f), history.ElectionTimeoutMs);
    }

    /// <summary>A plain-text table: one row per fault, then the throughput comparison.</summary>
    public string ToTable()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"fault",-18} {"member",6} {"at (s)",8} {"lasted (ms)",11} {"first write (ms)",16} {"first lin. read (ms)",20}");
        foreach (var r in Recoveries)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{r.Fault.Kind,-18} {r.Fault.Member,6} {r.Fault.Start / 1e9,8:0.00} {(r.Fault.End - r.Fault.Start) / 1e6,11:0} {Ms(r.FirstWriteMs),16} {Ms(r.FirstLinearizableReadMs),20}");
        }
        var late = Recoveries.Count(r => r.FirstWriteMs is not { } w || w > 2.0 * ElectionTimeoutMs);
        text.AppendLine(CultureInfo.InvariantCulture, $"writes resumed within two election timeouts ({2 * ElectionTimeoutMs} ms) after {Recoveries.Count - late} of {Recoveries.Count} faults");
        text.AppendLine(CultureInfo.InvariantCulture, $"ops/s without faults: {OpsPerSecondWithoutFaults:0.0} over {WindowsWithoutFaults} s; with faults: {OpsPerSecondWithFaults:0.0} over {WindowsWithFaults} s");
        if (OpsPerSecondWithoutFaults > 0 && WindowsWithFaults > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"throughput lost to faults: {100 * (1 - (OpsPerSecondWithFaults / OpsPerSecondWithoutFaults)):0}%");
        }
        return text.ToString();
    }

    private static double? After(List<Operation> ops, long from) =>
        ops.Where(o => o.Invoke >= from).Select(o => (double?)((o.Return - from) / 1e6)).Min();

    private static string Ms(double? ms) => ms is { } v ? v.ToString("0", CultureInfo.InvariantCulture) : "never";
}
