using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Patching;

/// <summary>RFC 7386 JSON merge patch: objects merge key by key, null deletes, anything else replaces.</summary>
internal static class MergePatch
{
    public static JsonNode? Apply(JsonNode? original, JsonNode? patch)
    {
        if (patch is not JsonObject patchObj)
            return patch?.DeepClone();
        var target = original is JsonObject o ? (JsonObject)o.DeepClone() : [];
        Merge(target, patchObj);
        return target;
    }

    private static void Merge(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is JsonObject child)
            {
                if (target[key] is not JsonObject existing)
                {
                    existing = [];
                    target[key] = existing;
                }
                Merge(existing, child);
            }
            else
            {
                target[key] = value.DeepClone();
            }
        }
    }
}
