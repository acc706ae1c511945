using System.Text.Json.Serialization;

namespace KvStore.Bench;

/// <summary>loadgen's <c>-json</c> line: successes, failures, rate and latency percentiles (ms) of one run.</summary>
internal sealed record LoadgenResult
{
    [JsonPropertyName("ok")] public long Ok { get; init; }
    [JsonPropertyName("errors")] public long Errors { get; init; }
    [JsonPropertyName("secs")] public double Seconds { get; init; }
    [JsonPropertyName("qps")] public double RequestsPerSecond { get; init; }
    [JsonPropertyName("avg_ms")] public double AvgMs { get; init; }
    [JsonPropertyName("p50_ms")] public double P50Ms { get; init; }
    [JsonPropertyName("p99_ms")] public double P99Ms { get; init; }
    [JsonPropertyName("p999_ms")] public double P999Ms { get; init; }
    [JsonPropertyName("max_ms")] public double MaxMs { get; init; }
    [JsonPropertyName("first_error")] public string? FirstError { get; init; }
}
