using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Resources;

/// <summary>
/// Resources served at a version other than the one they are stored at (kube's storage version): autoscaling/v1
/// HorizontalPodAutoscaler is stored as autoscaling/v2 and converted on the way in and out, so both versions read and
/// write the same objects (HpaV1KubectlTests). Every other resource is stored at the version it is served at.
/// </summary>
internal static class StorageVersions
{
    private static bool IsHpaV1(ResourceInfo resource) =>
        resource.Runtime is null && resource is { Group: "autoscaling", Version: "v1", Resource: "horizontalpodautoscalers" };

    /// <summary>The apiVersion objects of <paramref name="resource"/> carry in the store.</summary>
    public static string StoredApiVersion(ResourceInfo resource) => IsHpaV1(resource) ? HpaV1.StorageApiVersion : resource.ApiVersion;

    /// <summary>A stored object (or one already at <paramref name="resource"/>'s version) rewritten in place to that version,
    /// with its kind and apiVersion.</summary>
    public static JsonObject FromStorage(ResourceInfo resource, JsonObject obj)
    {
        if (IsHpaV1(resource) && (obj["apiVersion"] as JsonValue)?.ToString() != resource.ApiVersion) HpaV1.FromV2(obj);
        obj["apiVersion"] = resource.ApiVersion;
        obj["kind"] = resource.Kind;
        return obj;
    }

    /// <summary>An object written at <paramref name="resource"/>'s version in its stored form; what that version cannot
    /// express is taken from <paramref name="stored"/> (the object it replaces, null on create).</summary>
    public static JsonObject ToStorage(ResourceInfo resource, JsonObject obj, JsonObject? stored) =>
        IsHpaV1(resource) && (obj["apiVersion"] as JsonValue)?.ToString() != HpaV1.StorageApiVersion ? HpaV1.ToV2(obj, stored) : obj;
}
