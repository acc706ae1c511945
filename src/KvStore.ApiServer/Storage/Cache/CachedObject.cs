using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Storage.Cache;

/// <summary>Labels and selectable fields of an object (kube's storage.AttrFunc): what selectors match, taken once per write.</summary>
public sealed record ObjectAttributes(IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Fields)
{
    public static readonly ObjectAttributes None = new(new Dictionary<string, string>(), new Dictionary<string, string>());
}

/// <summary>What the cache of one resource needs to know of it: where its keys are, the version it serves them as (a custom
/// resource's versions share its keys: each version has its own cache), how a stored object is completed for serving
/// (kind, apiVersion), and its selectable attributes.</summary>
public sealed record CachedResource(string KeyPrefix, string ApiVersion, Action<JsonObject> Prepare, Func<JsonObject, ObjectAttributes> Attributes);

/// <summary>
/// One object as the watch cache keeps it: immutable, shared by every reader. Its JSON (as served: resourceVersion =
/// <see cref="Revision"/>, kind and apiVersion set) is parsed again for each reader that needs a tree, never shared as one.
/// </summary>
public sealed class CachedObject
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private CachedObject(string key, long revision, byte[] json, ObjectAttributes attributes, ObjectMeta meta) =>
        (Key, Revision, Json, Attributes, Meta) = (key, revision, json, attributes, meta);

    public string Key { get; }

    /// <summary>The object's resourceVersion: its mod_revision, or for the object of a delete event the delete's revision.</summary>
    public long Revision { get; }

    public ReadOnlyMemory<byte> Json { get; }

    public ObjectAttributes Attributes { get; }

    public ObjectMeta Meta { get; }

    /// <summary>A fresh tree of the object, the caller's to change.</summary>
    public JsonObject Parse() => JsonNode.Parse(Json.Span)!.AsObject();

    public StoredObject ToStored() => new(Key, Parse(), Revision);

    /// <summary>The cache's form of <paramref name="obj"/> (a tree the caller gives up) at <paramref name="revision"/>.</summary>
    public static CachedObject Create(string key, JsonObject obj, long revision, CachedResource resource)
    {
        ArgumentNullException.ThrowIfNull(obj);
        ArgumentNullException.ThrowIfNull(resource);
        resource.Prepare(obj);
        if (obj["metadata"] is not JsonObject metadata) obj["metadata"] = metadata = [];
        metadata["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture);
        return new CachedObject(key, revision, Serialize(obj), resource.Attributes(obj), ObjectMeta.Of(obj));
    }

    /// <summary>The same object with resourceVersion <paramref name="revision"/> (a delete event's object, kube's updateResourceVersion).</summary>
    public CachedObject AtRevision(long revision)
    {
        if (revision == Revision) return this;
        var obj = Parse();
        ((JsonObject)obj["metadata"]!)["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture);
        return new CachedObject(Key, revision, Serialize(obj), Attributes, Meta);
    }

    internal static byte[] Serialize(JsonNode node)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            node.WriteTo(writer);
        }
        return buffer.ToArray();
    }
}
