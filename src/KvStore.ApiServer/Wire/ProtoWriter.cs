using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using KvStore.ApiServer.Schema;
using KvStore.ApiServer.Schema.Types;

namespace KvStore.ApiServer.Wire;

/// <summary>
/// JSON to protobuf, driven by the schema tree and its field numbers: what gogo-protobuf's generated Marshal of
/// k8s.io/api writes for the same object (fields in number order, non-pointer fields even when zero, map entries
/// sorted by key, repeated scalars unpacked as proto2 does). Held by ProtobufCodecTests against real kubectl bodies.
/// </summary>
public static class ProtoWriter
{
    /// <summary>The message bytes of <paramref name="obj"/> (a struct node of the schema).</summary>
    public static byte[] Message(FieldSchema schema, JsonObject? obj) => Message(schema.Proto, schema, obj);

    private static byte[] Message(IReadOnlyList<ProtoField> layout, FieldSchema schema, JsonObject? obj)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        foreach (var field in layout)
        {
            if (field.Inline)
            {
                WriteBytes(output, field.Number, Message(ProtoNumbers.Of(field.Name), schema, obj));
                continue;
            }
            if (!schema.Properties.TryGetValue(field.Name, out var child)) continue;
            WriteField(output, field, child, obj?[field.Name]);
        }
        output.Flush();
        return buffer.ToArray();
    }

    private static void WriteField(CodedOutputStream output, ProtoField field, FieldSchema schema, JsonNode? value)
    {
        switch (schema.Type)
        {
            case FieldType.Array when value is JsonArray items:
                foreach (var item in items)
                {
                    // a null element is on the wire only as an empty raw JSON message (enum: [null])
                    if (item is not null || WireTypes.Of(schema.Items!) == WireType.RawJson) WriteValue(output, field.Number, schema.Items!, item);
                }
                return;
            case FieldType.Map when value is JsonObject map:
                foreach (var (key, entry) in map.OrderBy(e => e.Key, StringComparer.Ordinal))
                {
                    using var buffer = new MemoryStream();
                    var entryOutput = new CodedOutputStream(buffer);
                    WriteString(entryOutput, 1, key);
                    WriteValue(entryOutput, 2, schema.AdditionalProperties!, entry);
                    entryOutput.Flush();
                    WriteBytes(output, field.Number, buffer.ToArray());
                }
                return;
            case FieldType.Array or FieldType.Map:
                return;
        }
        if (value is null && field.Pointer) return;
        WriteValue(output, field.Number, schema, value);
    }

    /// <summary>One value; null writes the Go zero value (a non-pointer field is always on the wire).</summary>
    private static void WriteValue(CodedOutputStream output, int number, FieldSchema schema, JsonNode? value)
    {
        switch (WireTypes.Of(schema))
        {
            case WireType.String:
                WriteString(output, number, value is null ? "" : Text(value));
                break;
            case WireType.Bytes:
                WriteBytes(output, number, value is null ? [] : Convert.FromBase64String(Text(value)));
                break;
            case WireType.Varint:
                output.WriteTag(number, Google.Protobuf.WireFormat.WireType.Varint);
                output.WriteInt64(value is null ? 0 : Integer(value));
                break;
            case WireType.Bool:
                output.WriteTag(number, Google.Protobuf.WireFormat.WireType.Varint);
                output.WriteBool(value is not null && value.GetValueKind() == JsonValueKind.True);
                break;
            case WireType.Double:
                output.WriteTag(number, Google.Protobuf.WireFormat.WireType.Fixed64);
                output.WriteDouble(value is null ? 0 : WireTypes.Double(value));
                break;
            case WireType.Time:
                WriteBytes(output, number, Timestamp(value, micro: schema.Definition!.EndsWith("MicroTime", StringComparison.Ordinal)));
                break;
            case WireType.IntOrString:
                WriteBytes(output, number, IntOrString(value));
                break;
            case WireType.Quantity:
                WriteBytes(output, number, Single(1, value is null ? "0" : Text(value)));
                break;
            case WireType.RawJson:
                WriteBytes(output, number, value is null ? [] : RawJson(value));
                break;
            case WireType.Message:
                WriteBytes(output, number, Message(schema, value as JsonObject));
                break;
            case WireType.OneOf:
                WriteBytes(output, number, OneOf(schema, value));
                break;
        }
    }

    private static string Text(JsonNode value) => value.GetValueKind() == JsonValueKind.String
        ? value.GetValue<string>()
        : value.ToJsonString();

    private static long Integer(JsonNode value) => WireTypes.Int64(value);

    private static void WriteString(CodedOutputStream output, int number, string text)
    {
        output.WriteTag(number, Google.Protobuf.WireFormat.WireType.LengthDelimited);
        output.WriteString(text);
    }

    private static void WriteBytes(CodedOutputStream output, int number, byte[] bytes)
    {
        output.WriteTag(number, Google.Protobuf.WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(bytes));
    }

    private static byte[] Single(int number, string text)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        WriteString(output, number, text);
        output.Flush();
        return buffer.ToArray();
    }

    /// <summary>metav1.Time: Timestamp{seconds, nanos} with nanos always 0; MicroTime keeps microseconds. A zero
    /// time is an empty message.</summary>
    private static byte[] Timestamp(JsonNode? value, bool micro)
    {
        if (value is null || value.GetValueKind() != JsonValueKind.String) return [];
        var time = DateTimeOffset.Parse(value.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        output.WriteTag(1, Google.Protobuf.WireFormat.WireType.Varint);
        output.WriteInt64(time.ToUnixTimeSeconds());
        output.WriteTag(2, Google.Protobuf.WireFormat.WireType.Varint);
        output.WriteInt32(micro ? (int)(time.Ticks % TimeSpan.TicksPerSecond / 10 * 1000) : 0);
        output.Flush();
        return buffer.ToArray();
    }

    /// <summary>intstr.IntOrString: type 1 (0 int, 1 string), intVal 2, strVal 3, all three always written.</summary>
    private static byte[] IntOrString(JsonNode? value)
    {
        var isString = value is not null && value.GetValueKind() == JsonValueKind.String;
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        output.WriteTag(1, Google.Protobuf.WireFormat.WireType.Varint);
        output.WriteInt64(isString ? 1 : 0);
        output.WriteTag(2, Google.Protobuf.WireFormat.WireType.Varint);
        output.WriteInt64(value is null || isString ? 0 : Integer(value));
        WriteString(output, 3, isString ? value!.GetValue<string>() : "");
        output.Flush();
        return buffer.ToArray();
    }

    private static readonly JsonSerializerOptions RawJsonText = new() { Encoder =
        System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>FieldsV1, RawExtension and apiextensions' JSON: message{raw = 1} holding the JSON text (none for null).</summary>
    private static byte[] RawJson(JsonNode value)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        output.WriteTag(1, Google.Protobuf.WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(Encoding.UTF8.GetBytes(value.ToJsonString(RawJsonText))));
        output.Flush();
        return buffer.ToArray();
    }

    /// <summary>A JSONSchemaPropsOr* value in the field of its JSON type. A boolean field that is no pointer is written
    /// whatever the value: true for a value of another type (Go's UnmarshalJSON sets JSONSchemaPropsOrBool.Allows when it
    /// reads a schema).</summary>
    private static byte[] OneOf(FieldSchema schema, JsonNode? value)
    {
        var shapes = WireTypes.ShapesOf(schema);
        var type = WireTypes.JsonType(value);
        var message = new JsonObject();
        if (type is not null && shapes.Properties.ContainsKey(type)) message[type] = value!.DeepClone();
        if (type != "boolean" && shapes.Proto.Any(f => f.Name == "boolean" && !f.Pointer)) message["boolean"] = true;
        return Message(shapes, message);
    }
}
