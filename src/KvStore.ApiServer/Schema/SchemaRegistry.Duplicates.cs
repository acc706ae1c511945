using System.Text;
using System.Text.Json;

namespace KvStore.ApiServer.Schema;

public static partial class SchemaRegistry
{
    /// <summary>
    /// fieldValidation=Strict's other half: fields repeated within one JSON object, in kube-apiserver's wording
    /// (`duplicate field "spec.replicas"`, paths as for unknown fields), in document order. Reads the request body
    /// itself because a parsed <see cref="System.Text.Json.Nodes.JsonObject"/> keeps one of each name. Empty for
    /// malformed JSON (the parser reports that).
    /// </summary>
    public static IReadOnlyList<string> DuplicateFields(ReadOnlySpan<byte> json)
    {
        var found = new List<string>();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        // One frame per open container: its path, the names seen (objects) or the next index (arrays).
        var frames = new Stack<Frame>();
        string? pendingName = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        var name = reader.GetString()!;
                        var frame = frames.Peek();
                        var path = frame.Path.Length == 0 ? name : $"{frame.Path}.{name}";
                        if (!frame.Names!.Add(name))
                            found.Add($"duplicate field \"{path}\"");
                        pendingName = path;
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        var childPath = ChildPath(frames, ref pendingName);
                        frames.Push(reader.TokenType == JsonTokenType.StartObject
                            ? new Frame(childPath, new HashSet<string>(StringComparer.Ordinal))
                            : new Frame(childPath, null));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        frames.Pop();
                        break;
                    default:
                        ChildPath(frames, ref pendingName);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            return [];
        }
        return found;
    }

    /// <summary>The path of the value starting now: the pending property's, or the next index of the enclosing array.</summary>
    private static string ChildPath(Stack<Frame> frames, ref string? pendingName)
    {
        if (pendingName is not null)
        {
            var path = pendingName;
            pendingName = null;
            return path;
        }
        if (frames.Count > 0 && frames.Peek() is { Names: null } array)
            return $"{array.Path}[{array.NextIndex++}]";
        return "";
    }

    private sealed class Frame(string path, HashSet<string>? names)
    {
        public string Path { get; } = path;
        public HashSet<string>? Names { get; } = names;
        public int NextIndex { get; set; }
    }

    /// <summary><see cref="DuplicateFields(ReadOnlySpan{byte})"/> over a string body.</summary>
    public static IReadOnlyList<string> DuplicateFields(string json) => DuplicateFields(Encoding.UTF8.GetBytes(json));
}
