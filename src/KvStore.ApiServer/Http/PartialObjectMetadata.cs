using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Http;

/// <summary>
/// as=PartialObjectMetadata / as=PartialObjectMetadataList (kube's handlers/response.go): an object's or a list's
/// metadata alone, as meta.k8s.io/v1 (or v1beta1) kinds; asking for the other shape is 406 with kube's message.
/// Works for any kind with metadata (built-in or custom). Held by ProtobufHttpTests.
/// </summary>
internal static class PartialObjectMetadata
{
    /// <summary>True when <paramref name="body"/> is an object or a list of objects of a served kind (not a Status or Table).</summary>
    public static bool Applies(JsonObject body) =>
        (string?)body["kind"] is { } kind && kind is not ("Status" or "Table" or "Scale") && body["metadata"] is JsonObject;

    public static JsonObject Transform(JsonObject body, ResponseFormat format)
    {
        var apiVersion = "meta.k8s.io/" + format.MetaVersion;
        var kind = (string?)body["kind"] ?? "";
        var isList = body["items"] is JsonArray;
        if (isList && format.As == "PartialObjectMetadata")
            throw new ApiError(406, "NotAcceptable", $"you requested PartialObjectMetadata, but the requested object is a list (*v1.{kind})");
        if (!isList && format.As == "PartialObjectMetadataList")
            throw new ApiError(406, "NotAcceptable", $"you requested PartialObjectMetadataList, but the requested object is not a list (*v1.{kind})");
        if (!isList) return Item(body, apiVersion);
        return new JsonObject
        {
            ["kind"] = "PartialObjectMetadataList",
            ["apiVersion"] = apiVersion,
            ["metadata"] = body["metadata"]!.DeepClone(),
            ["items"] = new JsonArray(((JsonArray)body["items"]!).OfType<JsonObject>().Select(i => (JsonNode)Item(i, apiVersion)).ToArray()),
        };
    }

    private static JsonObject Item(JsonObject obj, string apiVersion) => new()
    {
        ["kind"] = "PartialObjectMetadata",
        ["apiVersion"] = apiVersion,
        ["metadata"] = obj["metadata"]?.DeepClone(),
    };
}
