using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace KvStore.ApiServerBench;

internal static class Http
{
    /// <summary>A client for many concurrent HTTP/1.1 streams to one server (one connection each).</summary>
    public static HttpClient Client(Uri server) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = int.MaxValue,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        BaseAddress = server,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string? json = null,
        string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue(contentType));
        return await http.SendAsync(request).ConfigureAwait(false);
    }
}

internal static class Memory
{
    /// <summary>VmRSS of <paramref name="pid"/> in MiB, or null without a pid.</summary>
    public static double? ResidentMiB(int? pid)
    {
        if (pid is null) return null;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
            var kb = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            return Math.Round(kb / 1024.0, 1);
        }
        return null;
    }
}
