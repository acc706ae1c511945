using System.Text.Json.Nodes;
using KvStore.ApiServer.Schema;

namespace KvStore.ApiServer.Patching;

/// <summary>
/// Kubernetes strategic merge patch, applied as kube-apiserver applies it (apimachinery strategicpatch
/// StrategicMergeMapPatch: merge the parallel deletion lists, ignore nulls that match nothing). The FieldSchema
/// plays the part of the Go struct tags: a list whose schema says patchStrategy "merge" merges its elements by
/// patchMergeKey (or unions them when they are scalars); any other list is replaced; objects and maps merge.
/// </summary>
internal static class StrategicMerge
{
    private const string Directive = "$patch";
    private const string RetainKeys = "$retainKeys";
    private const string SetElementOrderPrefix = "$setElementOrder";
    private const string DeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList";

    public static JsonNode Apply(JsonNode original, JsonNode patch, FieldSchema? schema)
    {
        if (patch is not JsonObject patchObj)
            throw new PatchException("invalid JSON document", badRequest: true);
        var target = original is JsonObject o ? (JsonObject)o.DeepClone() : [];
        return MergeMap(target, (JsonObject)patchObj.DeepClone(), schema);
    }

    // ---- schema lookups (the LookupPatchMeta of apimachinery) ----

    private static FieldSchema? FieldOf(FieldSchema? schema, string key) => schema?.Type switch
    {
        FieldType.Object => schema.Properties.GetValueOrDefault(key),
        FieldType.Map => schema.AdditionalProperties,
        _ => null,
    };

    /// <summary>The strategy of a field without "retainKeys" ("merge", "replace" or "").</summary>
    private static string Strategy(FieldSchema? field)
    {
        if (string.IsNullOrEmpty(field?.PatchStrategy))
            return "";
        var parts = field.PatchStrategy.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return parts.FirstOrDefault(p => p != "retainKeys") ?? "";
    }

    private static string MergeKey(FieldSchema? field) => field?.PatchMergeKey ?? "";

    // ---- maps ----

    private static JsonObject MergeMap(JsonObject? original, JsonObject patch, FieldSchema? schema)
    {
        if (patch.TryGetPropertyValue(Directive, out var directive))
            return DirectiveInMap(directive, patch);
        original ??= [];

        ApplyRetainKeys(original, patch);
        MergeSetElementOrder(original, patch, schema);

        foreach (var (rawKey, patchValue) in patch.ToList())
        {
            var key = rawKey;
            var isDeleteList = false;
            if (rawKey.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal))
            {
                key = ExtractKey(rawKey, DeleteFromPrimitiveListPrefix);
                isDeleteList = true;
            }
            if (patchValue is null)
            {
                original.Remove(key);
                continue; // IgnoreUnmatchedNulls
            }

            var field = FieldOf(schema, key);
            if (!original.TryGetPropertyValue(key, out var originalValue) || originalValue is null ||
                KindOf(originalValue) != KindOf(patchValue))
            {
                if (!isDeleteList)
                    SetOrRemove(original, key, Clean(Detach(patchValue)));
                continue;
            }

            switch (originalValue)
            {
                case JsonObject originalMap:
                    var patchMap = (JsonObject)Detach(patchValue);
                    if (Strategy(field) == "replace")
                    {
                        original[key] = Clean(patchMap);
                    }
                    else
                    {
                        var mergedMap = MergeMap(originalMap, patchMap, field);
                        if (!ReferenceEquals(mergedMap, originalMap))
                            original[key] = mergedMap;
                    }
                    break;
                case JsonArray originalList:
                    var patchList = (JsonArray)Detach(patchValue);
                    var mergedList = Strategy(field) == "merge" || isDeleteList
                        ? MergeSlice(originalList, patchList, field, isDeleteList)
                        : (JsonArray)Clean(patchList)!;
                    if (!ReferenceEquals(mergedList, originalList))
                        original[key] = mergedList;
                    break;
                default:
                    SetOrRemove(original, key, Clean(Detach(patchValue)));
                    break;
            }
        }
        return original;
    }

    private static JsonObject DirectiveInMap(JsonNode? directive, JsonObject patch)
    {
        switch (DirectiveName(directive))
        {
            case "replace":
                patch.Remove(Directive);
                return (JsonObject)Clean(patch)!;
            case "delete":
                return [];
            default:
                throw new PatchException($"unknown patch type: {DirectiveName(directive)} in map: {JsonNodes.Show(patch)}");
        }
    }

    private static string DirectiveName(JsonNode? directive) =>
        directive is JsonValue v && v.TryGetValue<string>(out var s) ? s : JsonNodes.Show(directive);

    private static string ExtractKey(string key, string prefix)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || key[..slash] != prefix)
        {
            throw prefix == DeleteFromPrimitiveListPrefix
                ? new PatchException("invalid patch format of primitive list", badRequest: true)
                : new PatchException("invalid patch format of setElementOrder list", badRequest: true);
        }
        return key[(slash + 1)..];
    }

    /// <summary>$retainKeys: drop the original's keys the list does not name; every key the patch sets must be named.</summary>
    private static void ApplyRetainKeys(JsonObject original, JsonObject patch)
    {
        if (!patch.TryGetPropertyValue(RetainKeys, out var retain))
            return;
        patch.Remove(RetainKeys);
        if (retain is not JsonArray list)
            throw new PatchException("invalid patch format of retainKeys", badRequest: true);
        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in list)
        {
            if (item is JsonValue v && v.TryGetValue<string>(out var s))
                keep.Add(s);
        }
        foreach (var (key, value) in patch)
        {
            if (value is null || key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal) ||
                key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal))
                continue;
            if (!keep.Contains(key))
                throw new PatchException("invalid patch format of retainKeys", badRequest: true);
        }
        foreach (var key in original.Select(p => p.Key).ToList())
        {
            if (!keep.Contains(key))
                original.Remove(key);
        }
    }

    /// <summary>
    /// $setElementOrder/&lt;list&gt;: merge the list (if patched) and order the result: the directive's order first, then
    /// the patch's, then the live list's for elements only the server has (apimachinery mergePatchIntoOriginal).
    /// </summary>
    private static void MergeSetElementOrder(JsonObject original, JsonObject patch, FieldSchema? schema)
    {
        foreach (var (directiveKey, orderValue) in patch.ToList())
        {
            if (!directiveKey.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal))
                continue;
            patch.Remove(directiveKey);
            if (orderValue is not JsonArray order)
                throw new PatchException("invalid patch format of setElementOrder list", badRequest: true);
            var key = ExtractKey(directiveKey, SetElementOrderPrefix);
            var field = FieldOf(schema, key);
            var mergeKey = MergeKey(field);

            JsonArray? originalList = null, patchList = null;
            if (original.TryGetPropertyValue(key, out var ov) && ov is not null)
                originalList = ov as JsonArray ?? throw new PatchException($"expected a slice, but received a {JsonNodes.KindName(ov)}");
            if (patch.TryGetPropertyValue(key, out var pv) && pv is not null)
                patchList = pv as JsonArray ?? throw new PatchException($"expected a slice, but received a {JsonNodes.KindName(pv)}");
            if (patchList is not null)
                ValidateWithSetOrder(patchList, order, mergeKey);

            JsonArray merged;
            var serverOrder = originalList is null ? [] : originalList.ToList();
            if (originalList is not null && patchList is null)
                merged = (JsonArray)Detach(originalList);
            else if (originalList is null && patchList is not null)
                merged = (JsonArray)Clean(Detach(patchList))!;
            else if (originalList is not null && patchList is not null)
            {
                if (Strategy(field) == "merge")
                {
                    merged = MergeSlice((JsonArray)Detach(originalList), (JsonArray)Detach(patchList), field, isDeleteList: false, out var aliased);
                    serverOrder = aliased;
                }
                else
                {
                    merged = (JsonArray)Clean(Detach(patchList))!;
                }
            }
            else
                continue;

            var (patchItems, serverOnly) = Partition(merged.ToList(), order.ToList(), mergeKey);
            var both = NormalizeElementOrder(patchItems, serverOnly, order.ToList(), serverOrder, mergeKey);
            original[key] = ToArray(both);
            patch.Remove(key);
        }
    }

    /// <summary>The patch list's (non-deleting) elements must appear in the directive, in the directive's order.</summary>
    private static void ValidateWithSetOrder(JsonArray patchList, JsonArray order, string mergeKey)
    {
        if (order.Count == 0 || patchList.Count == 0)
            return;
        var items = mergeKey.Length > 0
            ? patchList.Where(e => !(e is JsonObject o && DirectiveName(o[Directive]) == "delete" && o.ContainsKey(Directive))).ToList()
            : patchList.ToList();
        int p = 0, s = 0;
        while (p < items.Count && s < order.Count)
        {
            if (items[p] is JsonObject o && o.ContainsKey(Directive))
            {
                p++;
                continue;
            }
            if (KeyValue(items[p], mergeKey) is var a && JsonNodes.Equal(a, KeyValue(order[s], mergeKey)))
                p++;
            s++;
        }
        if (p < items.Count)
            throw new PatchException(
                $"The order in patch list:\n{JsonNodes.Show(patchList)}\n doesn't match $setElementOrder list:\n{JsonNodes.Show(order)}\n");
    }

    // ---- lists ----

    private static JsonArray MergeSlice(JsonArray original, JsonArray patch, FieldSchema? field, bool isDeleteList) =>
        MergeSlice(original, patch, field, isDeleteList, out _);

    /// <param name="aliasedOriginal">
    /// What apimachinery's caller still sees through its own slice header of the original list after the merge:
    /// Go deletes elements by shifting them left and appends new ones into the same backing array, and
    /// mergePatchIntoOriginal orders server-only elements by that view. Reproduced so $setElementOrder results
    /// come out in kube-apiserver's order.
    /// </param>
    private static JsonArray MergeSlice(JsonArray original, JsonArray patch, FieldSchema? field, bool isDeleteList,
        out List<JsonNode?> aliasedOriginal)
    {
        var mergeKey = MergeKey(field);
        var origItems = original.ToList();
        aliasedOriginal = origItems;
        if (original.Count == 0 && patch.Count == 0)
            return original;
        original.Clear();
        var patchItemsAll = patch.ToList();
        patch.Clear();
        var elementKind = ElementKind(origItems, patchItemsAll);

        if (elementKind != Kind.Object)
        {
            if (isDeleteList)
                return ToArray(origItems.Where(o => !patchItemsAll.Any(d => JsonNodes.Equal(o, d))));
            var union = Dedupe(origItems.Concat(patchItemsAll.Select(p => p?.DeepClone())));
            var (inPatch, onlyServer) = Partition(union, patchItemsAll, "");
            return ToArray(NormalizeElementOrder(inPatch, onlyServer, patchItemsAll, origItems, ""));
        }
        if (mergeKey.Length == 0)
            throw new PatchException($"cannot merge lists without merge key for {field?.Definition ?? "list"}");

        // the Go slice: a backing array and a length; `original` in apimachinery is backing[0..length)
        var backing = new List<JsonNode?>(origItems);
        var length = backing.Count;
        var originalLength = length;

        // elements with "$patch": delete removes the elements with that key; "$patch": replace makes the list the patch's
        var patchWithout = new List<JsonNode?>();
        var replace = false;
        foreach (var item in patchItemsAll)
        {
            var map = (JsonObject)item!;
            if (!map.TryGetPropertyValue(Directive, out var directive))
            {
                patchWithout.Add(item);
                continue;
            }
            switch (DirectiveName(directive))
            {
                case "delete":
                    if (!map.TryGetPropertyValue(mergeKey, out var value))
                        throw new PatchException($"map: {JsonNodes.Show(map)} does not contain declared merge key: {mergeKey}");
                    int found;
                    while ((found = FindByKey(backing, length, mergeKey, value)) >= 0)
                    {
                        for (var j = found; j < length - 1; j++)
                            backing[j] = backing[j + 1];
                        length--;
                    }
                    break;
                case "replace":
                    replace = true;
                    break;
                case "merge":
                    throw new PatchException("merging lists cannot yet be specified in the patch");
                default:
                    throw new PatchException($"unknown patch type: {DirectiveName(directive)} in map: {JsonNodes.Show(map)}");
            }
        }

        List<JsonNode?> serverOrder;
        List<JsonNode?> merged;
        if (replace)
        {
            merged = patchWithout.Select(Clean).ToList();
            serverOrder = merged;
            patchWithout = [];
        }
        else
        {
            var deletedLength = length;
            foreach (var item in patchWithout)
            {
                var map = (JsonObject)item!;
                if (!map.TryGetPropertyValue(mergeKey, out var value))
                    throw new PatchException($"map: {JsonNodes.Show(map)} does not contain declared merge key: {mergeKey}");
                var index = FindByKey(backing, length, mergeKey, value);
                if (index >= 0)
                {
                    backing[index] = MergeMap((JsonObject)backing[index]!, (JsonObject)map.DeepClone(), field?.Items);
                }
                else
                {
                    var added = Clean(map.DeepClone());
                    if (length < backing.Count)
                        backing[length] = added;
                    else
                        backing.Add(added);
                    length++;
                }
            }
            merged = backing.Take(length).ToList();
            serverOrder = backing.Take(deletedLength).ToList();
        }
        aliasedOriginal = backing.Take(originalLength).ToList();

        var (patchItems, serverOnly) = Partition(merged, patchWithout, mergeKey);
        return ToArray(NormalizeElementOrder(patchItems, serverOnly, patchWithout, serverOrder, mergeKey));
    }

    private static int FindByKey(List<JsonNode?> items, int length, string mergeKey, JsonNode? value)
    {
        for (var i = 0; i < length; i++)
        {
            if (items[i] is JsonObject o && o.TryGetPropertyValue(mergeKey, out var v) && JsonNodes.Equal(v, value))
                return i;
        }
        return -1;
    }

    /// <summary>Splits <paramref name="items"/> into those present in <paramref name="by"/> and the server-only rest.</summary>
    private static (List<JsonNode?> Patch, List<JsonNode?> ServerOnly) Partition(List<JsonNode?> items, List<JsonNode?> by, string mergeKey)
    {
        var inPatch = new List<JsonNode?>();
        var serverOnly = new List<JsonNode?>();
        foreach (var item in items)
        {
            if (mergeKey.Length > 0 && (item is not JsonObject o || !o.ContainsKey(mergeKey)))
                throw new PatchException($"map: {JsonNodes.Show(item)} does not contain declared merge key: {mergeKey}");
            var key = KeyValue(item, mergeKey);
            (by.Any(b => JsonNodes.Equal(KeyValue(b, mergeKey), key)) ? inPatch : serverOnly).Add(item);
        }
        return (inPatch, serverOnly);
    }

    private static JsonNode? KeyValue(JsonNode? item, string mergeKey) =>
        mergeKey.Length == 0 ? item : (item as JsonObject)?[mergeKey];

    private static int IndexIn(List<JsonNode?> list, JsonNode? item, string mergeKey)
    {
        var key = KeyValue(item, mergeKey);
        return list.FindIndex(e => JsonNodes.Equal(KeyValue(e, mergeKey), key));
    }

    private static List<JsonNode?> NormalizeElementOrder(List<JsonNode?> patch, List<JsonNode?> serverOnly,
        List<JsonNode?> patchOrder, List<JsonNode?> serverOrder, string mergeKey)
    {
        patch = NormalizeSliceOrder(patch, patchOrder, mergeKey);
        serverOnly = NormalizeSliceOrder(serverOnly, serverOrder, mergeKey);
        return MergeSorted(serverOnly, patch, serverOrder, mergeKey);
    }

    private static List<JsonNode?> NormalizeSliceOrder(List<JsonNode?> toSort, List<JsonNode?> order, string mergeKey)
    {
        var toDelete = new List<JsonNode?>();
        if (mergeKey.Length > 0)
        {
            toDelete = toSort.Where(e => e is JsonObject o && DirectiveName(o[Directive]) == "delete" && o.ContainsKey(Directive)).ToList();
            toSort = toSort.Except(toDelete).ToList();
        }
        // Stable: elements found in `order` sort by their position there; the others keep their relative place
        // after them (Go's sort.SliceStable with that less function behaves the same for these inputs).
        var indexed = toSort.Select((e, i) => (e, i, o: IndexIn(order, e, mergeKey))).ToList();
        var sorted = indexed.OrderBy(x => x.o < 0 ? int.MaxValue : x.o).ThenBy(x => x.i).Select(x => x.e).ToList();
        sorted.AddRange(toDelete);
        return sorted;
    }

    /// <summary>Inserts the server-only items among the patch items, keeping both relative orders (mergeSortedSlice).</summary>
    private static List<JsonNode?> MergeSorted(List<JsonNode?> left, List<JsonNode?> right, List<JsonNode?> serverOrder, string mergeKey)
    {
        var result = new List<JsonNode?>(left.Count + right.Count);
        int i = 0, j = 0;
        while (i < left.Count || j < right.Count)
        {
            if (i >= left.Count)
            {
                result.Add(right[j++]);
            }
            else if (j >= right.Count)
            {
                result.Add(left[i++]);
            }
            else
            {
                var li = IndexIn(serverOrder, left[i], mergeKey);
                var ri = IndexIn(serverOrder, right[j], mergeKey);
                if (li >= 0 && ri >= 0 && li < ri)
                    result.Add(left[i++]);
                else
                    result.Add(right[j++]);
            }
        }
        return result;
    }

    private static List<JsonNode?> Dedupe(IEnumerable<JsonNode?> items)
    {
        var result = new List<JsonNode?>();
        foreach (var item in items)
        {
            if (!result.Any(r => JsonNodes.Equal(r, item)))
                result.Add(item);
        }
        return result;
    }

    // ---- shapes ----

    private enum Kind { Null, Object, Array, Scalar }

    private static Kind KindOf(JsonNode? node) => node switch
    {
        null => Kind.Null,
        JsonObject => Kind.Object,
        JsonArray => Kind.Array,
        _ => Kind.Scalar,
    };

    private static Kind ElementKind(List<JsonNode?> a, List<JsonNode?> b)
    {
        Kind? kind = null;
        foreach (var item in a.Concat(b))
        {
            var k = KindOf(item);
            if (k == Kind.Array)
                throw new PatchException("lists of lists are not supported");
            if (kind is null)
                kind = k;
            else if (kind != k)
                throw new PatchException($"list element types are not identical: {JsonNodes.Show(ToArray(a.Select(x => x?.DeepClone())))}");
        }
        return kind ?? Kind.Scalar;
    }

    private static JsonNode Detach(JsonNode node)
    {
        if (node.Parent is null)
            return node;
        return node.DeepClone();
    }

    private static JsonArray ToArray(IEnumerable<JsonNode?> items)
    {
        var array = new JsonArray();
        foreach (var item in items)
            array.Add(item is null ? null : Detach(item));
        return array;
    }

    private static void SetOrRemove(JsonObject target, string key, JsonNode? value)
    {
        if (value is null)
            target.Remove(key);
        else
            target[key] = value;
    }

    /// <summary>
    /// A patch value taken as is (nothing to merge it with): drop maps carrying "$patch", the other directive keys
    /// and (IgnoreUnmatchedNulls) null members, as kube-apiserver's result holds none of them once decoded.
    /// Returns null when the value itself is a directive.
    /// </summary>
    private static JsonNode? Clean(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj.ContainsKey(Directive))
                    return null;
                foreach (var (key, value) in obj.ToList())
                {
                    if (value is null || key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal) ||
                        key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal) || key == RetainKeys)
                    {
                        obj.Remove(key);
                        continue;
                    }
                    var cleaned = Clean(value);
                    if (cleaned is null)
                        obj.Remove(key);
                    else if (!ReferenceEquals(cleaned, value))
                        obj[key] = cleaned;
                }
                return obj;
            case JsonArray arr:
                for (var i = arr.Count - 1; i >= 0; i--)
                {
                    var item = arr[i];
                    if (item is JsonObject o && o.ContainsKey(Directive))
                        arr.RemoveAt(i);
                    else
                        Clean(item);
                }
                return arr;
            default:
                return node;
        }
    }
}
