using System.Text.Json.Nodes;
using KvStore.ApiServer.Printing;
using KvStore.ApiServer.Resources;

namespace KvStore.ApiServer.Tests.Printing;

/// <summary>Builds a Table for one object at a fixed clock and reads its cells as kubectl would.</summary>
internal static class TableTestKit
{
    public static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>An RFC 3339 time <paramref name="ago"/> before <see cref="Now"/>.</summary>
    public static string Ago(TimeSpan ago) => (Now - ago).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);

    public static ResourceInfo Resource(string group, string resource) =>
        ResourceCatalog.All.First(r => r.Group == group && r.Resource == resource);

    public static JsonObject Table(string group, string resource, string json, string includeObject = "Metadata") =>
        TableConvertor.ToTable(Resource(group, resource), [JsonNode.Parse(json)!.AsObject()], includeObject, Now);

    /// <summary>The single row's cells as their JSON text ("\"1/1\"" for strings, "3" for integers) keyed by column name.</summary>
    public static Dictionary<string, JsonNode?> Cells(JsonObject table)
    {
        var columns = table["columnDefinitions"]!.AsArray().Select(c => (string)c!["name"]!).ToList();
        var cells = table["rows"]!.AsArray().Single()!["cells"]!.AsArray();
        Assert.Equal(columns.Count, cells.Count);
        return columns.Zip(cells).ToDictionary(p => p.First, p => p.Second);
    }

    /// <summary>The row's cells in column order, each as kubectl prints it (strings bare, numbers as digits).</summary>
    public static string[] Row(string group, string resource, string json) =>
        Table(group, resource, json)["rows"]!.AsArray().Single()!["cells"]!.AsArray()
            .Select(c => c is JsonValue v && v.TryGetValue<string>(out var s) ? s : c!.ToJsonString()).ToArray();
}
