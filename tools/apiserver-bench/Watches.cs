using System.Diagnostics;
using System.Globalization;
using HdrHistogram;

namespace KvStore.ApiServerBench;

/// <summary>
/// Many watchers of the namespace's pods (all of them, or one node's each) while pods are patched at a steady rate; each
/// patch carries its send time (Stopwatch ticks) in the annotation bench/sent, so a watcher's latency is the time from the
/// patch being sent to the event arriving. Also the server's memory with the watchers connected.
/// </summary>
internal static class Watches
{
    private const string Marker = "\"bench/sent\":\"";

    public static async Task<Dictionary<string, object?>> MeasureAsync(Options options)
    {
        using var http = Http.Client(options.Server);
        using var stop = new CancellationTokenSource();
        var histogram = new LongConcurrentHistogram(1, TimeSpan.FromMinutes(5).Ticks, 3);
        long received = 0;
        var connected = new CountdownEvent(options.Watchers);
        var rssBefore = Memory.ResidentMiB(options.ServerPid);
        string rv;
        using (var list = await http.GetAsync($"/api/v1/namespaces/{options.Namespace}/pods?resourceVersion=0&limit=1").ConfigureAwait(false))
        {
            var text = await list.Content.ReadAsStringAsync().ConfigureAwait(false);
            rv = System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString()!;
        }
        var watchers = Enumerable.Range(0, options.Watchers).Select(i => Task.Run(async () =>
        {
            var selector = options.WatchMode == "node" ? $"&fieldSelector=spec.nodeName%3Dnode-{i % options.Nodes}" : "";
            using var response = await http.GetAsync($"/api/v1/namespaces/{options.Namespace}/pods?watch=true&resourceVersion={rv}&allowWatchBookmarks=true{selector}",
                HttpCompletionOption.ResponseHeadersRead, stop.Token).ConfigureAwait(false);
            connected.Signal();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token).ConfigureAwait(false));
            try
            {
                while (await reader.ReadLineAsync(stop.Token).ConfigureAwait(false) is { } line)
                {
                    var now = Stopwatch.GetTimestamp();
                    var at = line.IndexOf(Marker, StringComparison.Ordinal);
                    if (!line.StartsWith("{\"type\":\"MODIFIED\"", StringComparison.Ordinal) || at < 0) continue;
                    var end = line.IndexOf('"', at + Marker.Length);
                    var sent = long.Parse(line.AsSpan(at + Marker.Length, end - at - Marker.Length), CultureInfo.InvariantCulture);
                    if (sent == 0) continue;
                    histogram.RecordValue(Math.Max(1, Stopwatch.GetElapsedTime(sent, now).Ticks));
                    Interlocked.Increment(ref received);
                }
            }
            catch (OperationCanceledException)
            {
            }
        })).ToList();
        if (!connected.Wait(TimeSpan.FromMinutes(2))) throw new InvalidOperationException($"only {options.Watchers - connected.CurrentCount} watchers connected");
        await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        var rssConnected = Memory.ResidentMiB(options.ServerPid);

        // the updates: one patch every 1/rate seconds, cycling over the pods
        var interval = TimeSpan.FromSeconds(1.0 / options.UpdateRate);
        var started = Stopwatch.StartNew();
        var expectedPerWatcher = options.WatchMode == "node" ? (double)options.Updates / options.Nodes : options.Updates;
        double? rssPeak = rssConnected;
        for (int u = 0; u < options.Updates; u++)
        {
            var due = interval * u;
            if (started.Elapsed < due) await Task.Delay(due - started.Elapsed).ConfigureAwait(false);
            var pod = Population.PodName(u % options.Pods);
            var patch = "{\"metadata\":{\"annotations\":{\"bench/sent\":\"" + Stopwatch.GetTimestamp().ToString(CultureInfo.InvariantCulture) + "\"}}}";
            using var response = await Http.SendAsync(http, HttpMethod.Patch, $"/api/v1/namespaces/{options.Namespace}/pods/{pod}", patch,
                "application/merge-patch+json").ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            if (u % 100 == 0) rssPeak = Max(rssPeak, Memory.ResidentMiB(options.ServerPid));
        }
        var sendSeconds = started.Elapsed.TotalSeconds;
        var expected = (long)Math.Round(expectedPerWatcher * options.Watchers);
        var deadline = Stopwatch.StartNew();
        while (Interlocked.Read(ref received) < expected && deadline.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(100).ConfigureAwait(false);
        rssPeak = Max(rssPeak, Memory.ResidentMiB(options.ServerPid));
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(watchers.Select(w => w.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);

        double Ms(double percentile) => Math.Round(histogram.GetValueAtPercentile(percentile) / (double)TimeSpan.TicksPerMillisecond, 1);
        return new Dictionary<string, object?>
        {
            ["watchers"] = options.Watchers,
            ["mode"] = options.WatchMode,
            ["updates"] = options.Updates,
            ["updatesPerSecond"] = Math.Round(options.Updates / sendSeconds, 1),
            ["eventsExpected"] = expected,
            ["eventsReceived"] = Interlocked.Read(ref received),
            ["latencyP50Ms"] = Ms(50),
            ["latencyP90Ms"] = Ms(90),
            ["latencyP99Ms"] = Ms(99),
            ["latencyMaxMs"] = Math.Round(histogram.GetMaxValue() / (double)TimeSpan.TicksPerMillisecond, 1),
            ["rssBeforeWatchersMiB"] = rssBefore,
            ["rssWatchersConnectedMiB"] = rssConnected,
            ["rssPeakMiB"] = rssPeak,
        };
    }

    private static double? Max(double? a, double? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);
}
