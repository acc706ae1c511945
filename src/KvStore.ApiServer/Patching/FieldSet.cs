using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Schema;

namespace KvStore.ApiServer.Patching;

/// <summary>
/// A set of field paths, as server-side apply's managedFields record them. A path is a list of fieldsV1 path
/// elements: "f:&lt;field&gt;" (object field or map key), "k:{...}" (element of a list keyed by its map keys),
/// "v:&lt;json&gt;" (element of a set list). The set is stored flat (paths joined by '\n', which no element holds
/// since JSON text escapes it) and converted to and from the fieldsV1 tree, where "." marks a member that also
/// has members below it.
/// </summary>
internal sealed class FieldSet
{
    private const char Separator = '\n';
    private readonly HashSet<string> _paths = new(StringComparer.Ordinal);

    public int Count => _paths.Count;

    public IEnumerable<string> Paths => _paths;

    public bool Contains(string path) => _paths.Contains(path);

    public void Add(string path)
    {
        if (path.Length > 0)
            _paths.Add(path);
    }

    public void Remove(string path) => _paths.Remove(path);

    public FieldSet Copy()
    {
        var copy = new FieldSet();
        copy._paths.UnionWith(_paths);
        return copy;
    }

    public static string Join(string parent, string element) => parent.Length == 0 ? element : parent + Separator + element;

    public static string[] Split(string path) => path.Split(Separator);

    /// <summary>True when <paramref name="path"/> is <paramref name="prefix"/> or below it.</summary>
    public static bool IsUnder(string path, string prefix) =>
        path == prefix || (path.Length > prefix.Length && path.StartsWith(prefix, StringComparison.Ordinal) && path[prefix.Length] == Separator);

    /// <summary>True when a member of the set is <paramref name="path"/> or below it.</summary>
    public bool HasAtOrBelow(string path) => _paths.Any(p => IsUnder(p, path));

    /// <summary>The members with no other member below them (the values compared for conflicts).</summary>
    public IEnumerable<string> Leaves() => _paths.Where(p => !_paths.Any(q => q.Length > p.Length && IsUnder(q, p)));

    /// <summary>Kube's rendering of a path in conflict messages: .spec.containers[name="nginx"].image.</summary>
    public static string Render(string path)
    {
        var sb = new StringBuilder();
        foreach (var element in Split(path))
        {
            var body = element[2..];
            switch (element[0])
            {
                case 'f':
                    sb.Append('.').Append(body);
                    break;
                case 'k':
                    var key = JsonNode.Parse(body) as JsonObject ?? [];
                    sb.Append('[').Append(string.Join(",", key.Select(p => $"{p.Key}={p.Value?.ToJsonString()}"))).Append(']');
                    break;
                case 'v':
                    sb.Append("[=").Append(body).Append(']');
                    break;
                default:
                    sb.Append('[').Append(body).Append(']');
                    break;
            }
        }
        return sb.ToString();
    }

    // ---- fieldsV1 ----

    public JsonObject ToFieldsV1()
    {
        var root = new JsonObject();
        foreach (var path in _paths.OrderBy(p => p, StringComparer.Ordinal))
        {
            var node = root;
            foreach (var element in Split(path))
            {
                if (node[element] is not JsonObject child)
                {
                    child = [];
                    node[element] = child;
                }
                node = child;
            }
        }
        MarkSelf(root, "", isRoot: true);
        return root;
    }

    /// <summary>Adds "." to nodes that are members and have children.</summary>
    private void MarkSelf(JsonObject node, string path, bool isRoot)
    {
        foreach (var (element, child) in node.ToList())
        {
            var childPath = Join(path, element);
            if (child is JsonObject c && c.Count > 0)
                MarkSelf(c, childPath, isRoot: false);
        }
        if (!isRoot && node.Count > 0 && _paths.Contains(path))
        {
            // "." first, as kube writes it
            var entries = node.ToList();
            node.Clear();
            node["."] = new JsonObject();
            foreach (var (k, v) in entries)
                node[k] = v;
        }
    }

    public static FieldSet FromFieldsV1(JsonNode? fieldsV1)
    {
        var set = new FieldSet();
        if (fieldsV1 is JsonObject root)
            Collect(root, "", set);
        return set;
    }

    private static void Collect(JsonObject node, string path, FieldSet set)
    {
        foreach (var (element, child) in node)
        {
            if (element == ".")
            {
                set.Add(path);
                continue;
            }
            var childPath = Join(path, element);
            if (child is JsonObject c && c.Count > 0)
                Collect(c, childPath, set);
            else
                set.Add(childPath);
        }
    }

    // ---- computing the set of an object ----

    /// <summary>
    /// The paths an object sets. List element keys come from <paramref name="keySource"/>'s matching element when
    /// given (the merged object: an applied element that leaves out a defaulted key field still names the live
    /// element), else from the element itself.
    /// </summary>
    public static FieldSet Of(JsonObject obj, FieldSchema? schema, JsonObject? keySource = null)
    {
        var set = new FieldSet();
        WalkObject(obj, schema, "", set, keySource, granularMap: false);
        return set;
    }

    private static void Walk(JsonNode? node, FieldSchema? schema, string path, FieldSet set, JsonNode? keySource)
    {
        switch (node)
        {
            case JsonObject obj when schema?.Type is not FieldType.Any:
                if (schema?.Type == FieldType.Map)
                {
                    set.Add(path);
                    foreach (var (key, value) in obj)
                        Walk(value, schema.AdditionalProperties, Join(path, "f:" + key), set, (keySource as JsonObject)?[key]);
                }
                else if (obj.Count == 0)
                {
                    set.Add(path);
                }
                else
                {
                    WalkObject(obj, schema, path, set, keySource as JsonObject, granularMap: false);
                }
                break;
            case JsonArray arr:
                WalkList(arr, schema, path, set, keySource as JsonArray);
                break;
            default:
                set.Add(path);
                break;
        }
    }

    private static void WalkObject(JsonObject obj, FieldSchema? schema, string path, FieldSet set, JsonObject? keySource, bool granularMap)
    {
        if (granularMap)
            set.Add(path);
        foreach (var (key, value) in obj)
        {
            var field = schema?.Type == FieldType.Object ? schema.Properties.GetValueOrDefault(key) : null;
            Walk(value, field, Join(path, "f:" + key), set, keySource?[key]);
        }
    }

    private static void WalkList(JsonArray arr, FieldSchema? schema, string path, FieldSet set, JsonArray? keySource)
    {
        if (arr.Count == 0)
        {
            // an empty list is set as a whole (else an applied `[]` would be owned by nobody)
            set.Add(path);
            return;
        }
        switch (ListTypeOf(schema))
        {
            case "map":
                var keys = MapKeysOf(schema!);
                foreach (var item in arr)
                {
                    if (item is not JsonObject element)
                    {
                        set.Add(path);
                        continue;
                    }
                    var source = keySource is null ? element : FindElement(keySource, element, keys) ?? element;
                    var elementPath = Join(path, KeyElement(source, keys));
                    WalkObject(element, schema!.Items, elementPath, set, source, granularMap: true);
                }
                break;
            case "set":
                foreach (var item in arr)
                    set.Add(Join(path, "v:" + (item?.ToJsonString() ?? "null")));
                break;
            default:
                set.Add(path);
                break;
        }
    }

    /// <summary>"map", "set" or "atomic": x-kubernetes-list-type, else what the patch strategy implies.</summary>
    public static string ListTypeOf(FieldSchema? schema)
    {
        if (schema is null)
            return "atomic";
        if (schema.ListType is { Length: > 0 } listType)
            return listType == "map" && MapKeysOf(schema).Count == 0 ? "atomic" : listType;
        var merge = schema.PatchStrategy?.Split(',').Any(s => s.Trim() == "merge") == true;
        if (!merge)
            return "atomic";
        return schema.PatchMergeKey is { Length: > 0 } ? "map" : "set";
    }

    public static IReadOnlyList<string> MapKeysOf(FieldSchema schema) =>
        schema.ListMapKeys.Count > 0 ? schema.ListMapKeys
        : schema.PatchMergeKey is { Length: > 0 } key ? [key] : [];

    /// <summary>k:{"name":"nginx"} with the key fields the element has, sorted as kube sorts them.</summary>
    public static string KeyElement(JsonObject element, IReadOnlyList<string> keys)
    {
        var key = new JsonObject();
        foreach (var name in keys.Order(StringComparer.Ordinal))
        {
            if (element.TryGetPropertyValue(name, out var value))
                key[name] = value?.DeepClone();
        }
        return "k:" + key.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>
    /// The element of <paramref name="list"/> that <paramref name="element"/> names: equal on every key field
    /// <paramref name="element"/> has (a key field it leaves out matches anything: defaults fill it in later).
    /// </summary>
    public static JsonObject? FindElement(JsonArray list, JsonObject element, IReadOnlyList<string> keys)
    {
        var present = keys.Where(element.ContainsKey).ToList();
        if (present.Count == 0)
            return null;
        foreach (var item in list)
        {
            if (item is JsonObject candidate && present.All(k => JsonNodes.Equal(candidate[k], element[k])))
                return candidate;
        }
        return null;
    }

    /// <summary>
    /// The same set with each list element named by the keys the element in <paramref name="root"/> has now: an
    /// element applied without a key field that defaulting filled in later ("protocol") was recorded by the keys
    /// it had, and must be recognised as the same element (else a re-apply would take it for a removed one).
    /// </summary>
    public FieldSet Canonicalize(JsonNode root, FieldSchema? schema)
    {
        var result = new FieldSet();
        foreach (var path in _paths)
            result.Add(CanonicalPath(root, schema, path));
        return result;
    }

    private static string CanonicalPath(JsonNode root, FieldSchema? schema, string path)
    {
        var elements = Split(path);
        JsonNode? node = root;
        for (var i = 0; i < elements.Length && node is not null; i++)
        {
            var element = elements[i];
            if (element[0] == 'f')
            {
                schema = schema?.Type switch
                {
                    FieldType.Object => schema.Properties.GetValueOrDefault(element[2..]),
                    FieldType.Map => schema.AdditionalProperties,
                    _ => null,
                };
            }
            else if (element[0] == 'k' && schema is not null && ListTypeOf(schema) == "map")
            {
                if (!TryStep(node, element, out var found, out _, out _) || found is not JsonObject item)
                    break;
                elements[i] = KeyElement(item, MapKeysOf(schema));
                schema = schema.Items;
                node = item;
                continue;
            }
            else
            {
                schema = schema?.Items;
            }
            if (!TryStep(node, element, out node, out _, out _))
                break;
        }
        return string.Join(Separator, elements);
    }

    // ---- navigating by path ----

    /// <summary>The value at <paramref name="path"/> in <paramref name="root"/>, false when absent.</summary>
    public static bool TryGet(JsonNode root, string path, out JsonNode? value)
    {
        value = root;
        foreach (var element in Split(path))
        {
            if (!TryStep(value, element, out value, out _, out _))
                return false;
        }
        return true;
    }

    /// <summary>Removes the value at <paramref name="path"/>; false when it was not there.</summary>
    public static bool Remove(JsonNode root, string path)
    {
        var elements = Split(path);
        JsonNode? node = root;
        for (var i = 0; i < elements.Length - 1; i++)
        {
            if (!TryStep(node, elements[i], out node, out _, out _))
                return false;
        }
        if (!TryStep(node, elements[^1], out _, out var parentObject, out var index))
            return false;
        if (parentObject is not null)
            parentObject.Remove(elements[^1][2..]);
        else
            ((JsonArray)node!).RemoveAt(index);
        return true;
    }

    private static bool TryStep(JsonNode? node, string element, out JsonNode? child, out JsonObject? parentObject, out int index)
    {
        child = null;
        parentObject = null;
        index = -1;
        var body = element.Length >= 2 ? element[2..] : "";
        switch (element[0])
        {
            case 'f' when node is JsonObject obj:
                parentObject = obj;
                return obj.TryGetPropertyValue(body, out child);
            case 'k' when node is JsonArray arr:
                var key = JsonNode.Parse(body) as JsonObject ?? [];
                for (var i = 0; i < arr.Count; i++)
                {
                    // a key field the element lacks matches (see FindElement)
                    if (arr[i] is JsonObject candidate &&
                        key.All(p => !candidate.ContainsKey(p.Key) || JsonNodes.Equal(candidate[p.Key], p.Value)) &&
                        key.Any(p => candidate.ContainsKey(p.Key)))
                    {
                        child = candidate;
                        index = i;
                        return true;
                    }
                }
                return false;
            case 'v' when node is JsonArray arr:
                var wanted = JsonNode.Parse(body);
                for (var i = 0; i < arr.Count; i++)
                {
                    if (JsonNodes.Equal(arr[i], wanted))
                    {
                        child = arr[i];
                        index = i;
                        return true;
                    }
                }
                return false;
            case 'i' when node is JsonArray arr && int.TryParse(body, out var n) && n >= 0 && n < arr.Count:
                child = arr[n];
                index = n;
                return true;
            default:
                return false;
        }
    }
}
