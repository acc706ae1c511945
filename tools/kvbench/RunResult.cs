using Grpc.Core;
using HdrHistogram;

namespace KvStore.KvBench;

/// <summary>The merged outcome of one benchmark run.</summary>
internal sealed class RunResult
{
    public required string Command { get; init; }

    public required LongHistogram Latencies { get; init; }

    /// <summary>Failed requests by gRPC status code name (or exception type for a failure outside gRPC).</summary>
    public required SortedDictionary<string, long> Errors { get; init; }

    public required TimeSpan Elapsed { get; init; }

    public required bool Interrupted { get; init; }

    public long Succeeded => Latencies.TotalCount;

    public long Failed => Errors.Values.Sum();

    public long Total => Succeeded + Failed;

    public double RequestsPerSecond => Elapsed.TotalSeconds > 0 ? Total / Elapsed.TotalSeconds : 0;

    public static RunResult Merge(string command, IReadOnlyList<ClientStats> stats, TimeSpan elapsed, bool interrupted)
    {
        var latencies = Report.NewHistogram();
        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var s in stats)
        {
            latencies.Add(s.Latencies);
            for (var code = 0; code < s.ErrorsByCode.Length; code++)
            {
                if (s.ErrorsByCode[code] > 0)
                {
                    var name = ((StatusCode)code).ToString();
                    errors[name] = errors.GetValueOrDefault(name) + s.ErrorsByCode[code];
                }
            }

            foreach (var (name, count) in s.OtherErrors)
            {
                errors[name] = errors.GetValueOrDefault(name) + count;
            }
        }

        return new RunResult
        {
            Command = command, Latencies = latencies, Errors = errors, Elapsed = elapsed, Interrupted = interrupted,
        };
    }
}
