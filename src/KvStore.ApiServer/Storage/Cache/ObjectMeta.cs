using System.Text.Json;
using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Storage.Cache;

/// <summary>One metadata.ownerReferences entry.</summary>
public sealed record OwnerRef(string ApiVersion, string Kind, string Name, string Uid, bool BlockOwnerDeletion);

/// <summary>The metadata an object's lifecycle turns on (uid, deletion, finalizers, owners), read once when the cache takes
/// the object, for the controllers that follow every change (namespace controller, garbage collector).</summary>
public sealed record ObjectMeta(string Uid, string Name, string? Namespace, bool Deleting, IReadOnlyList<string> Finalizers,
    IReadOnlyList<OwnerRef> Owners)
{
    public static ObjectMeta Of(JsonObject obj)
    {
        var meta = obj["metadata"] as JsonObject;
        var owners = (meta?["ownerReferences"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(r => new OwnerRef(Str(r["apiVersion"]) ?? "", Str(r["kind"]) ?? "", Str(r["name"]) ?? "", Str(r["uid"]) ?? "",
                r["blockOwnerDeletion"]?.GetValueKind() == JsonValueKind.True))
            .Where(r => r.Uid.Length > 0)
            .ToList();
        var finalizers = (meta?["finalizers"] as JsonArray ?? []).Select(Str).OfType<string>().ToList();
        return new ObjectMeta(Str(meta?["uid"]) ?? "", Str(meta?["name"]) ?? "", Str(meta?["namespace"]), meta?["deletionTimestamp"] is not null,
            finalizers, owners);
    }

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
