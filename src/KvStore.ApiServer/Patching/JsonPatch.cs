using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Patching;

/// <summary>
/// RFC 6902 JSON patch. Operations apply in order to a copy; the first failing one fails the whole patch, with
/// evanphx/json-patch's wording (the library kube-apiserver uses) so clients see familiar messages.
/// </summary>
internal static class JsonPatch
{
    public static JsonNode Apply(JsonNode original, JsonArray patch)
    {
        var doc = original.DeepClone();
        foreach (var entry in patch)
        {
            if (entry is not JsonObject op)
                throw new PatchException($"invalid JSON patch operation: {JsonNodes.Show(entry)}", badRequest: true);
            var kind = StringMember(op, "op") ?? throw new PatchException("Unexpected kind: unknown", badRequest: true);
            doc = kind switch
            {
                "add" => Add(doc, Path(op), Value(op, kind)),
                "remove" => Remove(doc, Path(op)),
                "replace" => Replace(doc, Path(op), Value(op, kind)),
                "move" => Move(doc, From(op, kind), Path(op)),
                "copy" => Copy(doc, From(op, kind), Path(op)),
                "test" => Test(doc, Path(op), Value(op, kind)),
                _ => throw new PatchException($"Unexpected kind: {kind}", badRequest: true),
            };
        }
        return doc;
    }

    private static string? StringMember(JsonObject op, string name) =>
        op.TryGetPropertyValue(name, out var v) && v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : null;

    private static string Path(JsonObject op) =>
        StringMember(op, "path") ?? throw new PatchException($"{StringMember(op, "op")} operation missing path", badRequest: true);

    private static string From(JsonObject op, string kind) =>
        StringMember(op, "from") ?? throw new PatchException($"{kind} operation missing from", badRequest: true);

    private static JsonNode? Value(JsonObject op, string kind) =>
        op.TryGetPropertyValue("value", out var v)
            ? v?.DeepClone()
            : throw new PatchException($"{kind} operation missing value", badRequest: true);

    /// <summary>RFC 6901 pointer tokens ("" is the whole document).</summary>
    internal static List<string> Tokens(string pointer)
    {
        if (pointer.Length == 0)
            return [];
        if (pointer[0] != '/')
            throw new PatchException($"JSON pointer must be empty or start with a \"/\": {pointer}", badRequest: true);
        return pointer[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))
            .ToList();
    }

    /// <summary>The container the pointer's last token addresses into, or null when a step is missing.</summary>
    private static JsonNode? Parent(JsonNode doc, List<string> tokens)
    {
        JsonNode? node = doc;
        for (var i = 0; i < tokens.Count - 1 && node is not null; i++)
            node = Child(node, tokens[i]);
        return node;
    }

    private static JsonNode? Child(JsonNode node, string token) => node switch
    {
        JsonObject obj => obj.TryGetPropertyValue(token, out var v) ? v : null,
        JsonArray arr => Index(token, arr.Count, allowEnd: false) is { } i ? arr[i] : null,
        _ => null,
    };

    /// <summary>An array index: digits without a leading zero, in range (Count itself when appending).</summary>
    private static int? Index(string token, int count, bool allowEnd)
    {
        if (token.Length == 0 || (token.Length > 1 && token[0] == '0') || !token.All(char.IsAsciiDigit) ||
            !int.TryParse(token, out var i))
            return null;
        return i < count || (allowEnd && i == count) ? i : null;
    }

    private static bool Exists(JsonNode doc, List<string> tokens, out JsonNode? value)
    {
        value = doc;
        if (tokens.Count == 0)
            return true;
        var parent = Parent(doc, tokens);
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject obj:
                return obj.TryGetPropertyValue(last, out value);
            case JsonArray arr when Index(last, arr.Count, allowEnd: false) is { } i:
                value = arr[i];
                return true;
            default:
                value = null;
                return false;
        }
    }

    private static JsonNode Add(JsonNode doc, string path, JsonNode? value)
    {
        var tokens = Tokens(path);
        if (tokens.Count == 0)
            return value ?? throw new PatchException("add operation does not apply: doc would be null");
        switch (Parent(doc, tokens))
        {
            case JsonObject obj:
                obj[tokens[^1]] = value;
                return doc;
            case JsonArray arr:
                var last = tokens[^1];
                if (last == "-")
                {
                    arr.Add(value);
                    return doc;
                }
                var i = Index(last, arr.Count, allowEnd: true)
                    ?? throw new PatchException($"add operation does not apply: index out of bounds: {path}");
                arr.Insert(i, value);
                return doc;
            default:
                throw new PatchException($"add operation does not apply: doc is missing path: \"{path}\": missing value");
        }
    }

    private static JsonNode Remove(JsonNode doc, string path)
    {
        var tokens = Tokens(path);
        if (tokens.Count == 0)
            throw new PatchException("remove operation does not apply: cannot remove the whole document");
        switch (Parent(doc, tokens))
        {
            case JsonObject obj when obj.ContainsKey(tokens[^1]):
                obj.Remove(tokens[^1]);
                return doc;
            case JsonArray arr when Index(tokens[^1], arr.Count, allowEnd: false) is { } i:
                arr.RemoveAt(i);
                return doc;
            default:
                throw new PatchException($"remove operation does not apply: doc is missing path: \"{path}\": missing value");
        }
    }

    private static JsonNode Replace(JsonNode doc, string path, JsonNode? value)
    {
        var tokens = Tokens(path);
        if (tokens.Count == 0)
            return value ?? throw new PatchException("replace operation does not apply: doc would be null");
        switch (Parent(doc, tokens))
        {
            case JsonObject obj when obj.ContainsKey(tokens[^1]):
                obj[tokens[^1]] = value;
                return doc;
            case JsonArray arr when Index(tokens[^1], arr.Count, allowEnd: false) is { } i:
                arr[i] = value;
                return doc;
            default:
                throw new PatchException($"replace operation does not apply: doc is missing key: {path}: missing value");
        }
    }

    private static JsonNode Move(JsonNode doc, string from, string path)
    {
        if (path.StartsWith(from + "/", StringComparison.Ordinal))
            throw new PatchException($"move operation does not apply: cannot move {from} into its own child {path}");
        if (!Exists(doc, Tokens(from), out var value))
            throw new PatchException($"move operation does not apply: doc is missing from path: \"{from}\": missing value");
        var moved = value?.DeepClone();
        doc = Remove(doc, from);
        return Add(doc, path, moved);
    }

    private static JsonNode Copy(JsonNode doc, string from, string path)
    {
        if (!Exists(doc, Tokens(from), out var value))
            throw new PatchException($"copy operation does not apply: doc is missing from path: \"{from}\": missing value");
        return Add(doc, path, value?.DeepClone());
    }

    private static JsonNode Test(JsonNode doc, string path, JsonNode? value)
    {
        if (!Exists(doc, Tokens(path), out var actual) || !JsonNodes.Equal(actual, value))
            throw new PatchException($"testing value {path} failed: test failed");
        return doc;
    }
}
