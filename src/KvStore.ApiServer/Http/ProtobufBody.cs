using System.Text.Json.Nodes;
using Google.Protobuf;

namespace KvStore.ApiServer.Http;

/// <summary>
/// The Kubernetes protobuf envelope ("k8s\0" + runtime.Unknown) that kubectl's typed clients send for generator
/// commands (`kubectl create namespace|configmap|secret`). Only those kinds are read (their fields from
/// k8s.io/api's generated.proto numbering); anything else is 415 with a hint to send JSON (`create -f`/`apply -f`).
/// </summary>
internal static class ProtobufBody
{
    public const string ContentType = "application/vnd.kubernetes.protobuf";

    private static readonly byte[] Magic = "k8s\0"u8.ToArray();

    public static JsonObject Decode(byte[] body)
    {
        if (body.Length < 4 || !body.AsSpan(0, 4).SequenceEqual(Magic)) throw ApiError.BadRequest("protobuf body without the k8s envelope");
        string apiVersion = "", kind = "";
        ByteString raw = ByteString.Empty;
        var unknown = new CodedInputStream(body, 4, body.Length - 4);
        for (uint tag; (tag = unknown.ReadTag()) != 0;)
        {
            switch (tag >> 3)
            {
                case 1:
                    var typeMeta = new CodedInputStream(unknown.ReadBytes().ToByteArray());
                    for (uint t; (t = typeMeta.ReadTag()) != 0;)
                    {
                        if (t >> 3 == 1) apiVersion = typeMeta.ReadString();
                        else if (t >> 3 == 2) kind = typeMeta.ReadString();
                        else typeMeta.SkipLastField();
                    }
                    break;
                case 2: raw = unknown.ReadBytes(); break;
                default: unknown.SkipLastField(); break;
            }
        }
        var obj = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind };
        var input = new CodedInputStream(raw.ToByteArray());
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            var field = tag >> 3;
            switch (kind, field)
            {
                case (_, 1): obj["metadata"] = ObjectMeta(input.ReadBytes()); break;
                case ("Namespace", 2):
                    var spec = new CodedInputStream(input.ReadBytes().ToByteArray());
                    var finalizers = new JsonArray();
                    for (uint t; (t = spec.ReadTag()) != 0;)
                    {
                        if (t >> 3 == 1) finalizers.Add(spec.ReadString());
                        else spec.SkipLastField();
                    }
                    obj["spec"] = new JsonObject { ["finalizers"] = finalizers };
                    break;
                case ("ConfigMap", 2): MapEntry(Child(obj, "data"), input.ReadBytes(), bytes: false); break;
                case ("ConfigMap", 3): MapEntry(Child(obj, "binaryData"), input.ReadBytes(), bytes: true); break;
                case ("ConfigMap", 4) or ("Secret", 5): obj["immutable"] = input.ReadBool(); break;
                case ("Secret", 2): MapEntry(Child(obj, "data"), input.ReadBytes(), bytes: true); break;
                case ("Secret", 3): obj["type"] = input.ReadString(); break;
                case ("Secret", 4): MapEntry(Child(obj, "stringData"), input.ReadBytes(), bytes: false); break;
                case ("Namespace" or "ConfigMap" or "Secret", _): input.SkipLastField(); break;
                default:
                    throw new ApiError(415, "UnsupportedMediaType",
                        $"kvstore's apiserver reads protobuf bodies only for Namespace, ConfigMap and Secret, not {kind}: send JSON (kubectl create -f / apply -f)");
            }
        }
        return obj;
    }

    private static JsonObject Child(JsonObject parent, string name) =>
        parent[name] as JsonObject ?? (JsonObject)(parent[name] = new JsonObject());

    private static void MapEntry(JsonObject map, ByteString entry, bool bytes)
    {
        var input = new CodedInputStream(entry.ToByteArray());
        string key = "";
        JsonNode? value = bytes ? "" : "";
        for (uint t; (t = input.ReadTag()) != 0;)
        {
            if (t >> 3 == 1) key = input.ReadString();
            else if (t >> 3 == 2) value = bytes ? Convert.ToBase64String(input.ReadBytes().ToByteArray()) : input.ReadString();
            else input.SkipLastField();
        }
        map[key] = value;
    }

    /// <summary>ObjectMeta: name 1, generateName 2, namespace 3, labels 11, annotations 12, finalizers 14 (the rest is server-set).</summary>
    private static JsonObject ObjectMeta(ByteString bytes)
    {
        var meta = new JsonObject();
        var input = new CodedInputStream(bytes.ToByteArray());
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            switch (tag >> 3)
            {
                case 1: meta["name"] = input.ReadString(); break;
                case 2: meta["generateName"] = input.ReadString(); break;
                case 3: meta["namespace"] = input.ReadString(); break;
                case 11: MapEntry(Child(meta, "labels"), input.ReadBytes(), bytes: false); break;
                case 12: MapEntry(Child(meta, "annotations"), input.ReadBytes(), bytes: false); break;
                case 14:
                    if (meta["finalizers"] is not JsonArray finalizers) meta["finalizers"] = finalizers = [];
                    finalizers.Add(input.ReadString());
                    break;
                default: input.SkipLastField(); break;
            }
        }
        foreach (var empty in new[] { "name", "generateName", "namespace" })
        {
            if (meta[empty] is JsonValue v && v.GetValue<string>().Length == 0) meta.Remove(empty);
        }
        return meta;
    }

}
