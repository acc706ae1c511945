using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;

namespace KvStore.Grpc.Tests;

/// <summary>An answer of the JSON gateway: HTTP status, content type, body text, and the headers.</summary>
public sealed record GatewayAnswer(int Status, string? ContentType, string Body, HttpResponseHeaders Headers)
{
    public string? Header(string name) => Headers.TryGetValues(name, out IEnumerable<string>? v) ? string.Join(",", v) : null;
}

/// <summary>curl-style HTTP/1.1 requests to a gateway: POST with a JSON body, as `curl -X POST url -d body`.</summary>
public sealed partial class GatewayClient(string baseUrl) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public string BaseUrl { get; } = baseUrl;

    public Task<GatewayAnswer> PostAsync(string path, string body) => SendAsync(HttpMethod.Post, path, body);

    public async Task<GatewayAnswer> SendAsync(HttpMethod method, string path, string? body)
    {
        using var request = new HttpRequestMessage(method, BaseUrl + path);
        if (body is not null) request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        using HttpResponseMessage response = await _http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return new GatewayAnswer((int)response.StatusCode, response.Content.Headers.ContentType?.ToString(), text, response.Headers);
    }

    /// <summary>Starts a streaming call; its answer lines are read as they arrive.</summary>
    public async Task<GatewayStream> StreamAsync(string path, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, BaseUrl + path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return new GatewayStream(request, response, await response.Content.ReadAsStreamAsync());
    }

    public void Dispose() => _http.Dispose();

    /// <summary>A JSON answer without what differs between members by construction: cluster and member ids, raft term.</summary>
    public static string WithoutIds(string json)
    {
        string s = IdField().Replace(json, "");
        return s.Replace(",}", "}").Replace("{,", "{");
    }

    [GeneratedRegex("\"(cluster_id|member_id|raft_term)\":\"[0-9]+\",?")]
    private static partial Regex IdField();

    public static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));
}

/// <summary>A streaming answer (watch, keep-alive, snapshot): one JSON object per line.</summary>
public sealed class GatewayStream(HttpRequestMessage request, HttpResponseMessage response, Stream body) : IAsyncDisposable
{
    private readonly StreamReader _reader = new(body, Encoding.UTF8);

    public int Status => (int)response.StatusCode;
    public string? ContentType => response.Content.Headers.ContentType?.ToString();

    /// <summary>The next line, or null at the end of the body.</summary>
    public async Task<string?> NextAsync(int timeoutMs = 10_000)
    {
        using var timeout = new CancellationTokenSource(timeoutMs);
        return await _reader.ReadLineAsync(timeout.Token);
    }

    public async Task<List<string>> AllAsync(int timeoutMs = 30_000)
    {
        var lines = new List<string>();
        while (await NextAsync(timeoutMs) is { } line) lines.Add(line);
        return lines;
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        response.Dispose();
        request.Dispose();
        return ValueTask.CompletedTask;
    }
}
