using System.Diagnostics;
using System.Runtime.CompilerServices;
using Grpc.Core;
using HdrHistogram;

namespace KvStore.KvBench;

/// <summary>
/// One benchmark client: sends one request at a time. It owns its request objects and rewrites them in place
/// between calls; that is safe because a unary call has sent its whole request before its response arrives.
/// </summary>
internal interface IRequestWorker
{
    /// <summary>Sends request number <paramref name="index"/> (0-based, global across clients) and waits for the response.</summary>
    Task ExecuteAsync(long index, CancellationToken ct);
}

/// <summary>What one client saw: latencies of successful requests and failures by gRPC status code.</summary>
internal sealed class ClientStats
{
    public LongHistogram Latencies { get; } = Report.NewHistogram();

    public long[] ErrorsByCode { get; } = new long[(int)StatusCode.Unauthenticated + 1];

    public Dictionary<string, long> OtherErrors { get; } = new(StringComparer.Ordinal);

    public void RecordError(Exception e)
    {
        if (e is RpcException rpc && (uint)rpc.StatusCode < (uint)ErrorsByCode.Length)
        {
            ErrorsByCode[(int)rpc.StatusCode]++;
        }
        else
        {
            var name = e.GetType().Name;
            OtherErrors[name] = OtherErrors.GetValueOrDefault(name) + 1;
        }
    }
}

/// <summary>
/// Runs <c>total</c> requests through a set of clients, each keeping one request in flight (etcd's benchmark
/// model: concurrency = --clients). Request numbers come from one shared counter; with a rate, request i is
/// not sent before start + i/rate.
/// </summary>
internal static class LoadRunner
{
    public static async Task<RunResult> RunAsync(
        string command, IReadOnlyList<IRequestWorker> workers, long total, int rate, CancellationToken ct)
    {
        var stats = new ClientStats[workers.Count];
        var next = new StrongBox<long>(0);
        var ticksPerRequest = rate > 0 ? (double)Stopwatch.Frequency / rate : 0;
        var start = Stopwatch.GetTimestamp();
        var tasks = new Task[workers.Count];
        for (var c = 0; c < workers.Count; c++)
        {
            stats[c] = new ClientStats();
            var worker = workers[c];
            var s = stats[c];
            tasks[c] = Task.Run(() => ClientLoopAsync(worker, s, next, total, start, ticksPerRequest, ct), CancellationToken.None);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(start);
        return RunResult.Merge(command, stats, elapsed, ct.IsCancellationRequested);
    }

    private static async Task ClientLoopAsync(
        IRequestWorker worker, ClientStats stats, StrongBox<long> next, long total, long start, double ticksPerRequest,
        CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var index = Interlocked.Increment(ref next.Value) - 1;
            if (index >= total)
            {
                return;
            }

            if (ticksPerRequest > 0)
            {
                var due = start + (long)(index * ticksPerRequest);
                var wait = due - Stopwatch.GetTimestamp();
                if (wait > 0)
                {
                    try
                    {
                        await Task.Delay(TimeSpan.FromTicks(wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency), ct)
                            .ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }

            var sent = Stopwatch.GetTimestamp();
            try
            {
                await worker.ExecuteAsync(index, ct).ConfigureAwait(false);
                stats.Latencies.RecordValue(Report.ToMicroseconds(Stopwatch.GetTimestamp() - sent));
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                stats.RecordError(e);
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;
            }
        }
    }
}
