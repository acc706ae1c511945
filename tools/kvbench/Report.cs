using System.Diagnostics;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using HdrHistogram;

namespace KvStore.KvBench;

/// <summary>Latency histograms in microseconds and the printed summary (text, or one JSON object per run).</summary>
internal static class Report
{
    private static readonly double[] Percentiles = [50, 90, 99, 99.9];

    /// <summary>1 µs to 1 hour at 3 significant digits.</summary>
    public static LongHistogram NewHistogram() => new(TimeSpan.FromHours(1).Ticks / 10, 3);

    public static long ToMicroseconds(long stopwatchTicks) => stopwatchTicks * 1_000_000 / Stopwatch.Frequency;

    public static void Write(TextWriter output, RunResult result, string format, string setting)
    {
        if (format == "json")
        {
            WriteJson(output, result, setting);
        }
        else
        {
            WriteText(output, result, setting);
        }
    }

    private static double Ms(long micros) => micros / 1000.0;

    private static void WriteText(TextWriter o, RunResult r, string setting)
    {
        var ic = CultureInfo.InvariantCulture;
        o.WriteLine($"Summary ({r.Command}{(r.Interrupted ? ", interrupted" : "")}):");
        o.WriteLine($"  Setting:\t{setting}");
        o.WriteLine(string.Create(ic, $"  Total:\t{r.Total} requests ({r.Succeeded} ok, {r.Failed} failed)"));
        o.WriteLine(string.Create(ic, $"  Duration:\t{r.Elapsed.TotalSeconds:F3} s"));
        o.WriteLine(string.Create(ic, $"  Requests/sec:\t{r.RequestsPerSecond:F1}"));
        if (r.Succeeded > 0)
        {
            var h = r.Latencies;
            o.WriteLine("Latency (ms, successful requests):");
            o.WriteLine(string.Create(ic, $"  avg\t{Ms((long)h.GetMean()):F3}"));
            foreach (var p in Percentiles)
            {
                o.WriteLine(string.Create(ic, $"  p{p}\t{Ms(h.GetValueAtPercentile(p)):F3}"));
            }

            o.WriteLine(string.Create(ic, $"  max\t{Ms(h.GetMaxValue()):F3}"));
        }

        if (r.Errors.Count > 0)
        {
            o.WriteLine("Errors by status code:");
            foreach (var (code, count) in r.Errors)
            {
                o.WriteLine(string.Create(ic, $"  {code}\t{count}"));
            }
        }
    }

    private static void WriteJson(TextWriter o, RunResult r, string setting)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("command", r.Command);
            w.WriteString("setting", setting);
            w.WriteBoolean("interrupted", r.Interrupted);
            w.WriteNumber("total", r.Total);
            w.WriteNumber("succeeded", r.Succeeded);
            w.WriteNumber("failed", r.Failed);
            w.WriteNumber("durationSeconds", Math.Round(r.Elapsed.TotalSeconds, 6));
            w.WriteNumber("requestsPerSecond", Math.Round(r.RequestsPerSecond, 1));
            w.WriteStartObject("latencyMs");
            if (r.Succeeded > 0)
            {
                var h = r.Latencies;
                w.WriteNumber("avg", Ms((long)h.GetMean()));
                w.WriteNumber("p50", Ms(h.GetValueAtPercentile(50)));
                w.WriteNumber("p90", Ms(h.GetValueAtPercentile(90)));
                w.WriteNumber("p99", Ms(h.GetValueAtPercentile(99)));
                w.WriteNumber("p99.9", Ms(h.GetValueAtPercentile(99.9)));
                w.WriteNumber("max", Ms(h.GetMaxValue()));
            }

            w.WriteEndObject();
            w.WriteStartObject("errors");
            foreach (var (code, count) in r.Errors)
            {
                w.WriteNumber(code, count);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        o.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }
}
