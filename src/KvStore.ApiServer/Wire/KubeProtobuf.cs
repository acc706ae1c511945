using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Google.Protobuf;
using KvStore.ApiServer.Schema;

namespace KvStore.ApiServer.Wire;

/// <summary>
/// kube's protobuf serializer (k8s.io/apimachinery/pkg/runtime/serializer/protobuf): the "k8s\0" magic then a
/// runtime.Unknown {typeMeta 1 {apiVersion 1, kind 2}, raw 2, contentEncoding 3, contentType 4} whose raw is the
/// object's message; lists are {metadata 1 ListMeta, items 2}; watch frames are a 4-byte big-endian length then a
/// bare metav1.WatchEvent {type 1, object 2 RawExtension{raw 1 = the enveloped object}}.
/// </summary>
public static class KubeProtobuf
{
    public const string ContentType = "application/vnd.kubernetes.protobuf";
    public const string WatchContentType = ContentType + ";stream=watch";

    private static ReadOnlySpan<byte> Magic => "k8s\0"u8;

    private static readonly ConcurrentDictionary<string, FieldSchema> Lists = new(StringComparer.Ordinal);

    /// <summary>The schema of a body of this apiVersion and kind ("apps/v1" "Deployment", "DeploymentList", "v1"
    /// "Status"), or null when it has no protobuf form (custom resources, Table, discovery documents).</summary>
    public static FieldSchema? SchemaOf(string apiVersion, string kind)
    {
        if (SchemaRegistry.ForWireKind(apiVersion, kind) is { Proto.Count: > 0 } schema) return schema;
        if (!kind.EndsWith("List", StringComparison.Ordinal) || SchemaRegistry.ForWireKind(apiVersion,
            kind[..^4]) is not { Proto.Count: > 0 } item) return null;
        return Lists.GetOrAdd(apiVersion + "/" + kind, _ => new FieldSchema
        {
            Type = FieldType.Object,
            Properties = new Dictionary<string, FieldSchema>(StringComparer.Ordinal)
            {
                ["metadata"] = SchemaRegistry.ListMeta,
                ["items"] = new() { Type = FieldType.Array, Items = item },
            },
            Proto = [new ProtoField(1, "metadata", false, false, false), new ProtoField(2, "items", false, false, false)],
        });
    }

    /// <summary>True when <paramref name="body"/> starts with the "k8s\0" magic.</summary>
    public static bool IsEnveloped(ReadOnlySpan<byte> body) => body.StartsWith(Magic);

    /// <summary>The enveloped bytes of a JSON body carrying apiVersion and kind; null when its kind has no protobuf form.</summary>
    public static byte[]? Encode(JsonObject body)
    {
        var kind = (string?)body["kind"] ?? "";
        if (SchemaOf((string?)body["apiVersion"] ?? "", kind) is not { } schema) return null;
        var raw = ProtoWriter.Message(schema, body);
        using var buffer = new MemoryStream();
        buffer.Write(Magic);
        var output = new CodedOutputStream(buffer);
        using (var typeMeta = new MemoryStream())
        {
            var meta = new CodedOutputStream(typeMeta);
            meta.WriteTag(1, WireFormat.WireType.LengthDelimited);
            meta.WriteString((string?)body["apiVersion"] ?? "");
            meta.WriteTag(2, WireFormat.WireType.LengthDelimited);
            meta.WriteString(kind);
            meta.Flush();
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(typeMeta.ToArray()));
        }
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(raw));
        output.WriteTag(3, WireFormat.WireType.LengthDelimited);
        output.WriteString("");
        output.WriteTag(4, WireFormat.WireType.LengthDelimited);
        output.WriteString("");
        output.Flush();
        return buffer.ToArray();
    }

    /// <summary>The JSON form of an enveloped body (apiVersion and kind from its typeMeta). Throws
    /// <see cref="KubeProtobufException"/> without the magic, for a kind without a schema, or for malformed bytes.</summary>
    public static JsonObject Decode(ReadOnlySpan<byte> body)
    {
        if (!IsEnveloped(body)) throw new KubeProtobufException(
            "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]");
        string apiVersion = "", kind = "";
        byte[] raw = [];
        try
        {
            var unknown = new CodedInputStream(body[Magic.Length..].ToArray());
            for (uint tag; (tag = unknown.ReadTag()) != 0;)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1:
                        var typeMeta = new CodedInputStream(unknown.ReadBytes().ToByteArray());
                        for (uint t; (t = typeMeta.ReadTag()) != 0;)
                        {
                            switch (WireFormat.GetTagFieldNumber(t))
                            {
                                case 1: apiVersion = typeMeta.ReadString(); break;
                                case 2: kind = typeMeta.ReadString(); break;
                                default: typeMeta.SkipLastField(); break;
                            }
                        }
                        break;
                    case 2: raw = unknown.ReadBytes().ToByteArray(); break;
                    default: unknown.SkipLastField(); break;
                }
            }
            var schema = SchemaOf(apiVersion, kind) ?? throw new KubeProtobufException(
                $"no kind \"{kind}\" is registered for version \"{apiVersion}\" in scheme \"k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30\"");
            var obj = ProtoReader.Message(schema, raw);
            obj.Insert(0, "apiVersion", apiVersion);
            obj.Insert(1, "kind", kind);
            return obj;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new KubeProtobufException(e.Message);
        }
    }

    /// <summary>One watch frame: length, then WatchEvent{type, object: RawExtension{raw: enveloped object}}.</summary>
    public static byte[] WatchFrame(string type, byte[] envelopedObject)
    {
        using var rawExtension = new MemoryStream();
        var raw = new CodedOutputStream(rawExtension);
        raw.WriteTag(1, WireFormat.WireType.LengthDelimited);
        raw.WriteBytes(ByteString.CopyFrom(envelopedObject));
        raw.Flush();
        using var buffer = new MemoryStream();
        buffer.Write(new byte[4]);
        var output = new CodedOutputStream(buffer);
        output.WriteTag(1, WireFormat.WireType.LengthDelimited);
        output.WriteString(type);
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(rawExtension.ToArray()));
        output.Flush();
        var frame = buffer.ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(frame.Length - 4));
        return frame;
    }
}

/// <summary>A protobuf body that cannot be read (no envelope, unknown kind, malformed message).</summary>
public sealed class KubeProtobufException(string message) : Exception(message);
