using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using KvStore.ApiServer.Schema;
using KvStore.ApiServer.Schema.Types;
using ProtoWire = Google.Protobuf.WireFormat.WireType;

namespace KvStore.ApiServer.Wire;

/// <summary>
/// Protobuf to JSON, driven by the schema tree and its field numbers: the JSON kube-apiserver would show for the
/// object Go decoded (a zero non-pointer scalar is dropped unless JSON always shows it, empty non-pointer structs
/// stay as {}, a zero time is absent). Unknown field numbers are skipped as Go's decoder does.
/// </summary>
public static class ProtoReader
{
    /// <summary>The JSON object of a message of <paramref name="schema"/>; malformed input throws
    /// <see cref="InvalidProtocolBufferException"/>.</summary>
    public static JsonObject Message(FieldSchema schema, ReadOnlySpan<byte> bytes)
    {
        var obj = new JsonObject();
        Merge(schema.Proto, schema, bytes.ToArray(), obj);
        return obj;
    }

    private static void Merge(IReadOnlyList<ProtoField> layout, FieldSchema schema, byte[] bytes, JsonObject obj)
    {
        var input = new CodedInputStream(bytes);
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            var number = Google.Protobuf.WireFormat.GetTagFieldNumber(tag);
            if (!ByNumber(layout).TryGetValue(number, out var field))
            {
                input.SkipLastField();
                continue;
            }
            if (field.Inline)
            {
                Merge(ProtoNumbers.Of(field.Name), schema, input.ReadBytes().ToByteArray(), obj);
                continue;
            }
            if (!schema.Properties.TryGetValue(field.Name, out var child) || WireTypes.Of(child.Type switch
                {
                    FieldType.Array => child.Items!,
                    FieldType.Map => child.AdditionalProperties!,
                    _ => child,
                }) == WireType.None)
            {
                input.SkipLastField();
                continue;
            }
            switch (child.Type)
            {
                case FieldType.Array:
                    var list = obj[field.Name] as JsonArray ?? (JsonArray)(obj[field.Name] = new JsonArray());
                    if (Google.Protobuf.WireFormat.GetTagWireType(tag) == ProtoWire.LengthDelimited && IsPackable(child.Items!))
                    {
                        var packed = new CodedInputStream(input.ReadBytes().ToByteArray());
                        while (!packed.IsAtEnd) list.Add(ReadScalar(packed, child.Items!));
                    }
                    else
                    {
                        list.Add(ReadValue(input, child.Items!));
                    }
                    break;
                case FieldType.Map:
                    var map = obj[field.Name] as JsonObject ?? (JsonObject)(obj[field.Name] = new JsonObject());
                    var (key, value) = ReadEntry(input.ReadBytes().ToByteArray(), child.AdditionalProperties!);
                    map[key] = value;
                    break;
                default:
                    var read = ReadValue(input, child);
                    if (read is null || (!field.Pointer && !field.Always && IsZero(read, child)))
                        obj.Remove(field.Name);
                    else
                        obj[field.Name] = read;
                    break;
            }
        }
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IReadOnlyList<ProtoField>, Dictionary<int, ProtoField>> Indexes =
        new();

    /// <summary>A layout's fields by number, built once per layout.</summary>
    private static Dictionary<int, ProtoField> ByNumber(IReadOnlyList<ProtoField> layout) =>
        Indexes.GetValue(layout, l => l.ToDictionary(f => f.Number));

    private static bool IsPackable(FieldSchema item) => WireTypes.Of(item) is WireType.Varint or WireType.Bool or WireType.Double;

    private static (string Key, JsonNode? Value) ReadEntry(byte[] bytes, FieldSchema valueSchema)
    {
        var input = new CodedInputStream(bytes);
        string key = "";
        JsonNode? value = null;
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            switch (Google.Protobuf.WireFormat.GetTagFieldNumber(tag))
            {
                case 1: key = input.ReadString(); break;
                case 2: value = ReadValue(input, valueSchema); break;
                default: input.SkipLastField(); break;
            }
        }
        return (key, value ?? ZeroOf(valueSchema));
    }

    private static JsonNode? ZeroOf(FieldSchema schema) => WireTypes.Of(schema) switch
    {
        WireType.String or WireType.Bytes => "",
        WireType.Varint => 0,
        WireType.Bool => false,
        WireType.Quantity => "0",
        _ => null,
    };

    private static JsonNode ReadScalar(CodedInputStream input, FieldSchema schema) => WireTypes.Of(schema) switch
    {
        WireType.Bool => input.ReadBool(),
        WireType.Double => input.ReadDouble(),
        _ => schema.Format == "int32" ? JsonValue.Create((int)input.ReadInt64()) : JsonValue.Create(input.ReadInt64()),
    };

    /// <summary>One value of the field just tagged; null for an empty (zero) time.</summary>
    private static JsonNode? ReadValue(CodedInputStream input, FieldSchema schema) => WireTypes.Of(schema) switch
    {
        WireType.String => input.ReadString(),
        WireType.Bytes => Convert.ToBase64String(input.ReadBytes().Span),
        WireType.Varint or WireType.Bool or WireType.Double => ReadScalar(input, schema),
        WireType.Time => Time(input.ReadBytes().ToByteArray(), schema.Definition!.EndsWith("MicroTime", StringComparison.Ordinal)),
        WireType.IntOrString => IntOrString(input.ReadBytes().ToByteArray()),
        WireType.Quantity => Quantity(input.ReadBytes().ToByteArray()),
        WireType.RawJson => RawJson(input.ReadBytes().ToByteArray()),
        WireType.OneOf => OneOf(schema, input.ReadBytes().Span),
        _ => Message(schema, input.ReadBytes().Span),
    };

    private static bool IsZero(JsonNode value, FieldSchema schema) => WireTypes.Of(schema) switch
    {
        WireType.String or WireType.Bytes => value.GetValue<string>().Length == 0,
        WireType.Varint => WireTypes.Int64(value) == 0,
        WireType.Bool => !value.GetValue<bool>(),
        WireType.Double => WireTypes.Double(value) == 0,
        WireType.IntOrString => value.GetValueKind() == System.Text.Json.JsonValueKind.Number && WireTypes.Int64(value) == 0,
        _ => false,
    };

    /// <summary>Timestamp{seconds 1, nanos 2} as RFC 3339 (MicroTime with six fraction digits); empty = zero time.</summary>
    private static JsonNode? Time(byte[] bytes, bool micro)
    {
        if (bytes.Length == 0) return null;
        var input = new CodedInputStream(bytes);
        long seconds = 0;
        int nanos = 0;
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            switch (Google.Protobuf.WireFormat.GetTagFieldNumber(tag))
            {
                case 1: seconds = input.ReadInt64(); break;
                case 2: nanos = input.ReadInt32(); break;
                default: input.SkipLastField(); break;
            }
        }
        var time = DateTimeOffset.FromUnixTimeSeconds(seconds);
        return micro
            ? time.AddTicks(nanos / 1000 * 10).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)
            : time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }

    private static JsonNode IntOrString(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        long type = 0, intVal = 0;
        var strVal = "";
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            switch (Google.Protobuf.WireFormat.GetTagFieldNumber(tag))
            {
                case 1: type = input.ReadInt64(); break;
                case 2: intVal = input.ReadInt64(); break;
                case 3: strVal = input.ReadString(); break;
                default: input.SkipLastField(); break;
            }
        }
        return type == 1 ? strVal : (int)intVal;
    }

    private static JsonNode Quantity(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        var text = "0";
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            if (Google.Protobuf.WireFormat.GetTagFieldNumber(tag) == 1) text = input.ReadString();
            else input.SkipLastField();
        }
        return text;
    }

    /// <summary>A JSONSchemaPropsOr* value, as Go's MarshalJSON shows it: the array when it has items, else the object,
    /// else the boolean.</summary>
    private static JsonNode? OneOf(FieldSchema schema, ReadOnlySpan<byte> bytes)
    {
        var shapes = Message(WireTypes.ShapesOf(schema), bytes);
        var value = shapes["array"] is JsonArray { Count: > 0 } array ? array : shapes["object"] ?? shapes["boolean"];
        value?.Parent?.AsObject().Remove(WireTypes.JsonType(value)!);
        return value;
    }

    private static JsonNode? RawJson(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            if (Google.Protobuf.WireFormat.GetTagFieldNumber(tag) == 1)
                return JsonNode.Parse(Encoding.UTF8.GetString(input.ReadBytes().Span));
            input.SkipLastField();
        }
        return null;
    }
}
