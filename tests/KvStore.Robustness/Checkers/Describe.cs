using System.Globalization;
using System.Text.Json;
using KvStore.Robustness.History;

namespace KvStore.Robustness.Checkers;

/// <summary>Short one-line renderings of history records for violation excerpts.</summary>
internal static class Describe
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Operation(Operation o)
    {
        var outcome = o.Outcome == Outcome.Ok ? JsonSerializer.Serialize(o.Response, Json) : $"{o.Outcome} {o.Error}";
        var text = string.Create(CultureInfo.InvariantCulture,
            $"op {o.Id} client {o.Client} [{Ms(o.Invoke)}..{Ms(o.Return)}] {JsonSerializer.Serialize(o.Request, Json)} -> {outcome}");
        return text.Length > 600 ? text[..600] + "..." : text;
    }

    public static string Kv(KeyValue? kv) => kv is null
        ? "(none)"
        : string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value} create {kv.CreateRevision} mod {kv.ModRevision} version {kv.Version} lease {kv.Lease}");

    public static string Event(WatchEvent e) => $"{e.Type} {Kv(e.Kv)}" + (e.PrevKv is null ? "" : $" prev {Kv(e.PrevKv)}");

    public static string Ms(long nanoseconds) => (nanoseconds / 1e6).ToString("0.###", CultureInfo.InvariantCulture) + "ms";
}
