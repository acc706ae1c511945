using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Tests.Patching;

internal static class JsonAssert
{
    /// <summary>Equal as JSON: object key order ignored, list order kept; the message shows both documents.</summary>
    public static void Equal(string expected, JsonNode? actual)
    {
        var e = JsonNode.Parse(expected);
        Assert.True(JsonNode.DeepEquals(Canonical(e), Canonical(actual)),
            $"expected:\n{Canonical(e)?.ToJsonString()}\nactual:\n{Canonical(actual)?.ToJsonString()}");
    }

    private static JsonNode? Canonical(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Canonical(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Canonical).ToArray()),
        null => null,
        _ => JsonNode.Parse(node.ToJsonString()),
    };

    public static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();
}
