using System.Diagnostics;

namespace KvStore.ApiServerBench;

/// <summary>Timed LISTs of the namespace's pods: resourceVersion=0 (the watch cache) and unset (a consistent read of the store).</summary>
internal static class Lists
{
    public static async Task<Dictionary<string, object>> MeasureAsync(HttpClient http, Options options)
    {
        var result = new Dictionary<string, object>();
        foreach (var (name, query) in new[] { ("cache(rv=0)", "?resourceVersion=0"), ("store(rv=)", "") })
        {
            var path = $"/api/v1/namespaces/{options.Namespace}/pods{query}";
            long bytes = 0;
            await ListAsync(http, path).ConfigureAwait(false); // warm up
            var times = new List<double>();
            for (int run = 0; run < options.ListRuns; run++)
            {
                var watch = Stopwatch.StartNew();
                bytes = await ListAsync(http, path).ConfigureAwait(false);
                times.Add(watch.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            result[name] = new Dictionary<string, object>
            {
                ["runs"] = times.Count,
                ["p50Ms"] = Math.Round(times[times.Count / 2], 1),
                ["minMs"] = Math.Round(times[0], 1),
                ["maxMs"] = Math.Round(times[^1], 1),
                ["MiB"] = Math.Round(bytes / 1048576.0, 1),
            };
        }
        return result;
    }

    /// <summary>The whole body read (as a client must before decoding it); its size.</summary>
    private static async Task<long> ListAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer).ConfigureAwait(false)) > 0) total += read;
        return total;
    }
}
