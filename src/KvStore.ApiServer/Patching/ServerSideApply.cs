using System.Globalization;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Schema;

namespace KvStore.ApiServer.Patching;

/// <summary>
/// Server-side apply and the managedFields bookkeeping of ordinary writes, after kube-apiserver's field manager
/// (apimachinery util/managedfields + structured-merge-diff), reduced to what can be kept sound with a FieldSchema:
/// field sets per manager, conflicts on differing values, force taking ownership, removal of fields a manager
/// stops applying when nobody else owns them, and "before-first-apply" for objects that had no managedFields.
/// Not done: version conversion of sets, the cap of ten Update managers ("ancient-changes"), atomic structs
/// (x-kubernetes-map-type: atomic: their fields are tracked one by one), and the last-applied-configuration
/// upgrade path between client-side and server-side apply.
/// </summary>
internal static class ServerSideApply
{
    internal const string BeforeFirstApply = "before-first-apply";

    /// <summary>Fields no manager owns (stripmeta.go).</summary>
    private static readonly string[] Stripped =
    [
        "f:apiVersion", "f:kind",
        "f:metadata\nf:name", "f:metadata\nf:namespace", "f:metadata\nf:creationTimestamp", "f:metadata\nf:selfLink",
        "f:metadata\nf:uid", "f:metadata\nf:clusterName", "f:metadata\nf:generation", "f:metadata\nf:managedFields",
        "f:metadata\nf:resourceVersion",
    ];

    /// <summary>Live metadata the applied object cannot change.</summary>
    private static readonly string[] ServerMetadata = ["uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink",
        "deletionTimestamp", "deletionGracePeriodSeconds"];

    private sealed class Entry
    {
        public required string Manager { get; init; }
        public required string Operation { get; init; }
        public string? ApiVersion { get; set; }
        public string? Time { get; set; }
        public string? Subresource { get; init; }
        public required FieldSet Fields { get; set; }

        public bool IsApply => Operation == "Apply";

        public bool Is(string manager, string operation, string? subresource) =>
            Manager == manager && Operation == operation && (Subresource ?? "") == (subresource ?? "");
    }

    public static JsonObject Apply(JsonObject? existing, JsonObject applied, string fieldManager, bool force, FieldSchema? schema, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(fieldManager))
            throw new PatchException("PATCH requests with apply-patch content type require fieldManager to be specified", badRequest: true);
        var metadata = applied["metadata"] as JsonObject;
        if (metadata?["managedFields"] is JsonArray { Count: > 0 })
            throw new PatchException("metadata.managedFields must be nil", badRequest: true);
        var intent = (JsonObject)DropNulls(applied.DeepClone())!;
        (intent["metadata"] as JsonObject)?.Remove("managedFields");
        var apiVersion = Str(intent["apiVersion"]);
        var time = Timestamp(now);

        if (existing is null)
        {
            var created = (JsonObject)intent.DeepClone();
            var entry = new Entry { Manager = fieldManager, Operation = "Apply", ApiVersion = apiVersion, Time = time, Fields =
                Strip(FieldSet.Of(created, schema)) };
            Write(created, [entry]);
            return created;
        }

        var live = (JsonObject)existing.DeepClone();
        var entries = Read(live);
        foreach (var entry in entries)
            entry.Fields = entry.Fields.Canonicalize(live, schema);
        if (entries.Count == 0)
        {
            // objects written before any manager was tracked: their fields belong to a placeholder manager
            var liveSet = Strip(FieldSet.Of(live, schema));
            if (liveSet.Count > 0)
                entries.Add(new Entry { Manager = BeforeFirstApply, Operation = "Update", ApiVersion = Str(live["apiVersion"]), Fields = liveSet });
        }

        var merged = (JsonObject)live.DeepClone();
        MergeInto(merged, intent, schema);
        var applySet = Strip(FieldSet.Of(intent, schema, keySource: merged));

        // conflicts: a field another manager owns whose value this apply changes
        var conflicts = new List<(Entry Owner, string Path)>();
        var intentValues = applySet.Leaves().ToList();
        foreach (var entry in entries.Where(e => !e.Is(fieldManager, "Apply", null)))
        {
            foreach (var path in intentValues)
            {
                if (!entry.Fields.Contains(path))
                    continue;
                var inLive = FieldSet.TryGet(live, path, out var liveValue);
                FieldSet.TryGet(intent, path, out var intentValue);
                if (!inLive || !JsonNodes.Equal(liveValue, intentValue))
                    conflicts.Add((entry, path));
            }
        }
        if (conflicts.Count > 0 && !force)
        {
            // kubectl moving from client-side to server-side apply: fields it last applied client-side and nobody
            // changed since are its own to take (lastappliedmanager.go)
            var allowed = fieldManager == KubectlManager ? AllowedFromLastApplied(live, schema) : null;
            var remaining = allowed is null ? conflicts : conflicts.Where(c => !allowed.Contains(c.Path)).ToList();
            if (remaining.Count > 0)
                throw Conflict(remaining);
        }
        foreach (var (owner, path) in conflicts)
            owner.Fields.Remove(path);

        // fields this manager applied before and no longer applies go away unless someone else still owns them
        var mine = entries.FirstOrDefault(e => e.Is(fieldManager, "Apply", null));
        if (mine is not null)
        {
            var others = entries.Where(e => e != mine).ToList();
            foreach (var path in mine.Fields.Paths.Where(p => !applySet.Contains(p)).OrderBy(p => p.Length))
            {
                if (!others.Any(o => o.Fields.HasAtOrBelow(path)) && !applySet.HasAtOrBelow(path))
                    FieldSet.Remove(merged, path);
            }
            mine.Fields = applySet;
            mine.ApiVersion = apiVersion;
            mine.Time = time;
        }
        else
        {
            entries.Add(new Entry { Manager = fieldManager, Operation = "Apply", ApiVersion = apiVersion, Time = time, Fields = applySet });
        }

        if (fieldManager == KubectlManager && LastApplied(merged) is not null)
        {
            // lastappliedupdater.go: keep the annotation in step so a later client-side apply diffs against this intent
            var record = (JsonObject)applied.DeepClone();
            ((record["metadata"] as JsonObject)?["annotations"] as JsonObject)?.Remove(LastAppliedAnnotation);
            ((JsonObject)((JsonObject)merged["metadata"]!)["annotations"]!)[LastAppliedAnnotation] = SortedJson(record) + "\n";
        }

        Prune(entries, merged);
        Write(merged, entries);
        return merged;
    }

    private const string KubectlManager = "kubectl";
    private const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    /// <summary>The fields of the last client-side applied configuration whose live values still match it; null without one.</summary>
    private static FieldSet? AllowedFromLastApplied(JsonObject live, FieldSchema? schema)
    {
        if (LastApplied(live) is not { } text)
            return null;
        JsonObject? lastApplied;
        try
        {
            lastApplied = JsonNode.Parse(text) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
        if (lastApplied is null || lastApplied["apiVersion"]?.ToJsonString() != live["apiVersion"]?.ToJsonString())
            return null;
        var set = FieldSet.Of(lastApplied, schema, keySource: live);
        var allowed = new FieldSet();
        foreach (var path in set.Paths)
        {
            if (FieldSet.TryGet(live, path, out var liveValue) &&
                (!IsLeaf(set, path) || (FieldSet.TryGet(lastApplied, path, out var appliedValue) && JsonNodes.Equal(liveValue, appliedValue))))
                allowed.Add(path);
        }
        return allowed;
    }

    /// <summary>JSON with object keys sorted, as Go's encoding/json writes a map.</summary>
    private static string SortedJson(JsonNode? node)
    {
        static JsonNode? Sort(JsonNode? n) => n switch
        {
            JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sort(p.Value)))),
            JsonArray a => new JsonArray(a.Select(Sort).ToArray()),
            null => null,
            _ => n.DeepClone(),
        };
        return Sort(node)?.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder =
            System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) ?? "null";
    }

    /// <summary>
    /// managedFields for a non-apply write (create, update, patch): <paramref name="fieldManager"/> takes the fields
    /// whose values it changed, other managers lose them, and fields that no longer exist leave every set.
    /// An update of an object without managedFields stays untracked, as in kube-apiserver.
    /// </summary>
    public static JsonObject Update(JsonObject? old, JsonObject updated, string fieldManager, FieldSchema? schema, string? subresource,
        DateTimeOffset now)
    {
        var result = (JsonObject)updated.DeepClone();
        var entries = old is null ? [] : Read((JsonObject)old.DeepClone());
        foreach (var entry in entries)
            entry.Fields = entry.Fields.Canonicalize(old!, schema);
        if (old is not null && entries.Count == 0)
        {
            (result["metadata"] as JsonObject)?.Remove("managedFields");
            return result;
        }
        var newSet = Strip(FieldSet.Of(result, schema));
        var changed = new FieldSet();
        foreach (var path in newSet.Paths)
        {
            if (old is null || !FieldSet.TryGet(old, path, out var oldValue) ||
                (IsLeaf(newSet, path) && FieldSet.TryGet(result, path, out var newValue) && !JsonNodes.Equal(oldValue, newValue)))
                changed.Add(path);
        }
        foreach (var entry in entries)
        {
            foreach (var path in changed.Paths)
                entry.Fields.Remove(path);
        }
        if (changed.Count > 0)
        {
            var apiVersion = Str(result["apiVersion"]);
            var mine = entries.FirstOrDefault(e => e.Is(fieldManager, "Update", subresource));
            if (mine is null)
            {
                entries.Add(new Entry { Manager = fieldManager, Operation = "Update", Subresource = subresource, ApiVersion = apiVersion, Time =
                    Timestamp(now), Fields = changed });
            }
            else
            {
                foreach (var path in changed.Paths)
                    mine.Fields.Add(path);
                mine.ApiVersion = apiVersion;
                mine.Time = Timestamp(now);
            }
        }
        Prune(entries, result);
        Write(result, entries);
        return result;
    }

    private static bool IsLeaf(FieldSet set, string path) => !set.Paths.Any(q => q.Length > path.Length && FieldSet.IsUnder(q, path));

    private static string Timestamp(DateTimeOffset now) => now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static FieldSet Strip(FieldSet set)
    {
        foreach (var path in Stripped)
            set.Remove(path);
        return set;
    }

    /// <summary>Drops paths no longer in the object, then entries left empty.</summary>
    private static void Prune(List<Entry> entries, JsonObject obj)
    {
        foreach (var entry in entries)
        {
            foreach (var path in entry.Fields.Paths.ToList())
            {
                if (!FieldSet.TryGet(obj, path, out _))
                    entry.Fields.Remove(path);
            }
        }
        entries.RemoveAll(e => e.Fields.Count == 0);
    }

    private static ApplyConflictException Conflict(List<(Entry Owner, string Path)> conflicts)
    {
        static string Name(Entry e) =>
            $"\"{e.Manager}\"" + (e.Subresource is { Length: > 0 } s ? $" with subresource \"{s}\"" : "") +
            (e.Operation == "Update" ? $" using {e.ApiVersion}" : ""); // the manager identifier holds no time
        conflicts = conflicts.OrderBy(c => c.Owner.Manager, StringComparer.Ordinal).ThenBy(c => FieldSet.Render(c.Path), StringComparer.Ordinal)
            .ToList();
        var causes = conflicts.Select(c => (FieldSet.Render(c.Path), $"conflict with {Name(c.Owner)}")).ToList();
        string message;
        if (conflicts.Count == 1)
        {
            message = $"Apply failed with 1 conflict: conflict with {Name(conflicts[0].Owner)}: {FieldSet.Render(conflicts[0].Path)}";
        }
        else
        {
            var lines = new List<string>();
            foreach (var group in conflicts.GroupBy(c => c.Owner.Manager).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                lines.Add($"conflicts with {Name(group.First().Owner)}:");
                lines.AddRange(group.Select(c => $"- {FieldSet.Render(c.Path)}"));
            }
            message = $"Apply failed with {conflicts.Count} conflicts: {string.Join("\n", lines)}";
        }
        return new ApplyConflictException(message, causes);
    }

    // ---- merging the intent ----

    /// <summary>The applied intent over the live object: objects and maps merge, keyed lists merge by key, sets union, the rest replace.</summary>
    private static void MergeInto(JsonObject target, JsonObject intent, FieldSchema? schema, bool topLevel = true)
    {
        foreach (var (key, value) in intent)
        {
            if (value is null)
                continue;
            var field = schema?.Type switch
            {
                FieldType.Object => schema.Properties.GetValueOrDefault(key),
                FieldType.Map => schema.AdditionalProperties,
                _ => null,
            };
            if (topLevel && key == "metadata" && value is JsonObject meta)
            {
                if (target["metadata"] is not JsonObject liveMeta)
                    target["metadata"] = liveMeta = [];
                foreach (var (k, v) in meta)
                {
                    if (ServerMetadata.Contains(k) || v is null)
                        continue;
                    MergeValue(liveMeta, k, v, field?.Type == FieldType.Object ? field.Properties.GetValueOrDefault(k) : null);
                }
                continue;
            }
            MergeValue(target, key, value, field);
        }
    }

    private static void MergeValue(JsonObject target, string key, JsonNode value, FieldSchema? field)
    {
        var current = target[key];
        switch (value)
        {
            case JsonObject obj when current is JsonObject liveObj && field?.Type is not FieldType.Any:
                MergeInto(liveObj, obj, field, topLevel: false);
                break;
            case JsonArray arr when current is JsonArray liveArr:
                target[key] = MergeList(liveArr, arr, field);
                break;
            default:
                target[key] = value.DeepClone();
                break;
        }
    }

    private static JsonArray MergeList(JsonArray live, JsonArray intent, FieldSchema? field)
    {
        Func<JsonNode?, JsonNode?, bool> same;
        switch (FieldSet.ListTypeOf(field))
        {
            case "map":
                var keys = FieldSet.MapKeysOf(field!);
                if (intent.Any(i => i is not JsonObject) || live.Any(l => l is not JsonObject))
                    return (JsonArray)intent.DeepClone();
                same = (l, r) => FieldSet.FindElement([l!.DeepClone()], (JsonObject)r!, keys) is not null;
                break;
            case "set":
                same = JsonNodes.Equal;
                break;
            default:
                return (JsonArray)intent.DeepClone();
        }
        return MergeOrdered(live.ToList(), intent.ToList(), same, field?.Items);
    }

    /// <summary>
    /// structured-merge-diff's list merge order (typed/merge.go visitListItems): live-only elements stay where they
    /// are, applied elements come in the applied order, a new applied element goes before the shared one it
    /// precedes in the applied list.
    /// </summary>
    private static JsonArray MergeOrdered(List<JsonNode?> lhs, List<JsonNode?> rhs, Func<JsonNode?, JsonNode?, bool> same, FieldSchema? itemSchema)
    {
        var rMatch = rhs.Select(r => lhs.FindIndex(l => same(l, r))).ToList();
        var lMatchedBy = lhs.Select((l, i) => rMatch.IndexOf(i)).ToList();
        var sharedOrder = new Queue<int>(Enumerable.Range(0, rhs.Count).Where(r => rMatch[r] >= 0));
        int? nextShared = sharedOrder.Count > 0 ? sharedOrder.Dequeue() : null;
        var mergedR = new HashSet<int>();
        var output = new JsonArray();

        JsonNode? Merge(int l, int r)
        {
            if (l < 0)
                return rhs[r]?.DeepClone();
            if (lhs[l] is JsonObject lo && rhs[r] is JsonObject ro)
            {
                var merged = (JsonObject)lo.DeepClone();
                MergeInto(merged, ro, itemSchema, topLevel: false);
                return merged;
            }
            return rhs[r]?.DeepClone();
        }

        int lI = 0, rI = 0;
        while (lI < lhs.Count || rI < rhs.Count)
        {
            if (lI < lhs.Count && rI < rhs.Count)
            {
                if (rMatch[rI] == lI)
                {
                    mergedR.Add(rI);
                    output.Add(Merge(lI, rI));
                    lI++;
                    rI++;
                    nextShared = sharedOrder.Count > 0 ? sharedOrder.Dequeue() : null;
                    continue;
                }
                if (lMatchedBy[lI] >= 0 && nextShared is { } ns && ns != lMatchedBy[lI])
                {
                    lI++;
                    continue;
                }
            }
            if (lI < lhs.Count)
            {
                if (lMatchedBy[lI] < 0)
                {
                    output.Add(lhs[lI]?.DeepClone());
                    lI++;
                    continue;
                }
                if (mergedR.Contains(lMatchedBy[lI]))
                    lI++;
            }
            if (rI < rhs.Count)
            {
                mergedR.Add(rI);
                output.Add(Merge(rMatch[rI], rI));
                if (nextShared == rI)
                    nextShared = sharedOrder.Count > 0 ? sharedOrder.Dequeue() : null;
                rI++;
            }
        }
        return output;
    }

    private static JsonNode? DropNulls(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    if (value is null)
                        obj.Remove(key);
                    else
                        DropNulls(value);
                }
                break;
            case JsonArray arr:
                foreach (var item in arr)
                    DropNulls(item);
                break;
        }
        return node;
    }

    // ---- managedFields ----

    private static List<Entry> Read(JsonObject obj)
    {
        var entries = new List<Entry>();
        if ((obj["metadata"] as JsonObject)?["managedFields"] is not JsonArray list)
            return entries;
        foreach (var item in list)
        {
            // a manager that is not a string, or an entry with neither manager nor fields, is not one we wrote: ignored
            if (item is not JsonObject e || (e["manager"] is { } m ? Str(m) is null : e["fieldsV1"] is null))
                continue;
            entries.Add(new Entry
            {
                Manager = Str(e["manager"]) ?? "",
                Operation = Str(e["operation"]) ?? "Update",
                ApiVersion = Str(e["apiVersion"]),
                Time = Str(e["time"]),
                Subresource = Str(e["subresource"]),
                Fields = FieldSet.FromFieldsV1(e["fieldsV1"]),
            });
        }
        return entries;
    }

    /// <summary>The non-empty last-applied-configuration annotation, or null.</summary>
    private static string? LastApplied(JsonObject obj) =>
        ((obj["metadata"] as JsonObject)?["annotations"] as JsonObject)?[LastAppliedAnnotation] is JsonValue v &&
        v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static void Write(JsonObject obj, List<Entry> entries)
    {
        if (obj["metadata"] is not JsonObject metadata)
            obj["metadata"] = metadata = [];
        if (entries.Count == 0)
        {
            metadata.Remove("managedFields");
            return;
        }
        var list = new JsonArray();
        foreach (var entry in entries)
        {
            // Go's ManagedFieldsEntry: manager is omitempty (a request without a user agent records "")
            var e = new JsonObject();
            if (entry.Manager.Length > 0)
                e["manager"] = entry.Manager;
            e["operation"] = entry.Operation;
            if (entry.ApiVersion is not null)
                e["apiVersion"] = entry.ApiVersion;
            if (entry.Time is not null)
                e["time"] = entry.Time;
            e["fieldsType"] = "FieldsV1";
            e["fieldsV1"] = entry.Fields.ToFieldsV1();
            if (entry.Subresource is { Length: > 0 })
                e["subresource"] = entry.Subresource;
            list.Add(e);
        }
        metadata["managedFields"] = list;
    }
}
