using System.Text.Json.Nodes;

namespace KvStore.ApiServer.CustomResources;

/// <summary>The dotted field paths of a CRD's scale subresource (".spec.replicas"): kube allows only plain field names.</summary>
internal static class ScaleValue
{
    /// <summary>The field names of the path, or null when it is not ".a.b...".</summary>
    public static string[]? Segments(string path)
    {
        if (path.Length < 2 || path[0] != '.')
            return null;
        var segments = path[1..].Split('.');
        return segments.All(s => s.Length > 0 && !s.Contains('[', StringComparison.Ordinal)) ? segments : null;
    }

    /// <summary>The value at the path, or null when a step is missing.</summary>
    public static JsonNode? Get(JsonObject obj, string path)
    {
        JsonNode? node = obj;
        foreach (var segment in Segments(path) ?? [])
            node = node is JsonObject o ? o[segment] : null;
        return node;
    }

    /// <summary>Sets the value at the path, creating the objects on the way.</summary>
    public static void Set(JsonObject obj, string path, JsonNode? value)
    {
        var segments = Segments(path) ?? throw new ArgumentException($"not a field path: {path}", nameof(path));
        var node = obj;
        foreach (var segment in segments[..^1])
        {
            if (node[segment] is not JsonObject child)
                node[segment] = child = [];
            node = child;
        }
        node[segments[^1]] = value;
    }

    /// <summary>The schema the path leads to, or null when the schema does not declare it.</summary>
    public static SchemaNode? SchemaAt(SchemaNode root, string path)
    {
        SchemaNode? node = root;
        foreach (var segment in Segments(path) ?? [])
            node = node?.Property(segment) ?? node?.AdditionalProperties;
        return node;
    }
}
