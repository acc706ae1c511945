using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace KvStore.Grpc.Gateway;

/// <summary>
/// Reads a request message as etcd's gateway does (golang/protobuf jsonpb with AllowUnknownFields, over Go's
/// encoding/json), with its errors' texts: a field by its .proto name or lowerCamelCase JSON name (the JSON name
/// wins when both are given), unknown fields ignored, null for the default; 64- and 32-bit integers as a number
/// or a quoted number, integers only; bytes in padded standard base64; enums by name or number; bools and
/// strings only as themselves. Messages nest at most as deep as protobuf parses them (100).
/// </summary>
internal static class GatewayJsonReader
{
    /// <summary>Google.Protobuf's CodedInputStream default recursion limit: no deeper message reaches a service over gRPC.</summary>
    private const int MaxMessageDepth = 100;

    /// <summary>Go's scanner has checked the text (and nests at most 10000 deep): the document takes whatever it took.</summary>
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 10_001 };

    public static T Parse<T>(ReadOnlySequence<byte> json) where T : IMessage<T>, new()
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new GatewayDecodeException(e.Message);
        }
        using (document)
        {
            var message = new T();
            ReadMessage(message, document.RootElement, 0);
            return message;
        }
    }

    private static void ReadMessage(IMessage message, JsonElement json, int depth)
    {
        if (json.ValueKind == JsonValueKind.Null) return;
        if (json.ValueKind != JsonValueKind.Object) throw TypeError(json, "map[string]json.RawMessage");
        if (depth > MaxMessageDepth) throw new GatewayDecodeException($"messages nest deeper than {MaxMessageDepth}");
        MessageDescriptor descriptor = message.Descriptor;
        // encoding/json into a map: of repeated names the last counts; jsonpb then prefers the JSON name.
        var byName = new Dictionary<FieldDescriptor, JsonElement>();
        var byJsonName = new Dictionary<FieldDescriptor, JsonElement>();
        foreach (JsonProperty property in json.EnumerateObject())
        {
            if (descriptor.FindFieldByName(property.Name) is { } named) byName[named] = property.Value;
            else if (FindByJsonName(descriptor, property.Name) is { } camel) byJsonName[camel] = property.Value;
        }
        foreach (FieldDescriptor field in descriptor.Fields.InDeclarationOrder())
        {
            if (byJsonName.TryGetValue(field, out JsonElement value) || byName.TryGetValue(field, out value)) ReadField(message, field, value, depth);
        }
    }

    private static FieldDescriptor? FindByJsonName(MessageDescriptor descriptor, string name)
    {
        foreach (FieldDescriptor field in descriptor.Fields.InDeclarationOrder())
        {
            if (field.JsonName == name) return field;
        }
        return null;
    }

    private static void ReadField(IMessage message, FieldDescriptor field, JsonElement json, int depth)
    {
        if (json.ValueKind == JsonValueKind.Null)
        {
            // jsonpb sets a oneof's wrapper before it reads the (null) value: a scalar member is then set to its default
            if (field.RealContainingOneof is not null && field.FieldType != FieldType.Message) field.Accessor.SetValue(message, Default(field));
            return;
        }
        if (field.IsMap)
        {
            if (json.ValueKind != JsonValueKind.Object) throw TypeError(json, "map");
            var map = (IDictionary)field.Accessor.GetValue(message);
            FieldDescriptor keyField = field.MessageType.FindFieldByNumber(1), valueField = field.MessageType.FindFieldByNumber(2);
            foreach (JsonProperty entry in json.EnumerateObject())
            {
                object key = keyField.FieldType is FieldType.String ? entry.Name : ReadScalarText(keyField, entry.Name);
                map[key] = entry.Value.ValueKind == JsonValueKind.Null ? Default(valueField) : ReadValue(valueField, entry.Value, depth);
            }
            return;
        }
        if (field.IsRepeated)
        {
            if (json.ValueKind != JsonValueKind.Array) throw TypeError(json, "[]json.RawMessage");
            var list = (IList)field.Accessor.GetValue(message);
            foreach (JsonElement item in json.EnumerateArray())
                list.Add(item.ValueKind == JsonValueKind.Null ? Default(field) : ReadValue(field, item, depth));
            return;
        }
        field.Accessor.SetValue(message, ReadValue(field, json, depth));
    }

    private static object Default(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.Message or FieldType.Group => NewMessage(field),
        FieldType.Bool => false,
        FieldType.String => "",
        FieldType.Bytes => ByteString.Empty,
        FieldType.Enum => Enum.ToObject(field.EnumType.ClrType, 0),
        FieldType.Double => 0d,
        FieldType.Float => 0f,
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => 0L,
        FieldType.UInt64 or FieldType.Fixed64 => 0UL,
        FieldType.UInt32 or FieldType.Fixed32 => 0U,
        _ => 0,
    };

    private static IMessage NewMessage(FieldDescriptor field) => (IMessage)Activator.CreateInstance(field.MessageType.ClrType)!;

    private static object ReadValue(FieldDescriptor field, JsonElement json, int depth)
    {
        switch (field.FieldType)
        {
            case FieldType.Message:
            case FieldType.Group:
                IMessage nested = NewMessage(field);
                ReadMessage(nested, json, depth + 1);
                return nested;
            case FieldType.String:
                if (json.ValueKind != JsonValueKind.String) throw TypeError(json, "string");
                return json.GetString()!;
            case FieldType.Bool:
                return json.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw TypeError(json, "bool"),
                };
            case FieldType.Bytes:
                if (json.ValueKind == JsonValueKind.Array) return BytesFromArray(json);
                if (json.ValueKind != JsonValueKind.String) throw TypeError(json, "[]uint8");
                // Go's decoder for all: .NET's own also skips spaces and tabs, which Go refuses (decoding fuzz, seed 1003)
                return GoBase64.Decode(Encoding.UTF8.GetBytes(json.GetString()!));
            case FieldType.Enum:
                return ReadEnum(field, json);
            default:
                string? text = NumberText(json, GoTypeName(field));
                return text is null ? Default(field) : ReadScalarText(field, text);
        }
    }

    /// <summary>encoding/json's []byte from a JSON array: one uint8 per element (null is 0); the first bad element's error.</summary>
    private static ByteString BytesFromArray(JsonElement json)
    {
        var bytes = new byte[json.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in json.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Number)
            {
                string text = item.GetRawText();
                if (!byte.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out bytes[i]))
                    throw new GatewayDecodeException($"json: cannot unmarshal number {text} into Go value of type uint8");
            }
            else if (item.ValueKind != JsonValueKind.Null)
            {
                throw TypeError(item, "uint8");
            }
            i++;
        }
        return UnsafeByteOperations.UnsafeWrap(bytes);
    }

    private static object ReadEnum(FieldDescriptor field, JsonElement json)
    {
        string goName = GoEnumName(field.EnumType);
        if (json.ValueKind == JsonValueKind.String)
        {
            string name = json.GetString()!;
            if (field.EnumType.FindValueByName(name) is not { } value)
                throw new GatewayDecodeException($"unknown value {GoQuote(name)} for enum {goName}");
            return Enum.ToObject(field.EnumType.ClrType, value.Number);
        }
        if (json.ValueKind != JsonValueKind.Number) throw TypeError(json, goName);
        string text = json.GetRawText();
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int number))
            throw new GatewayDecodeException($"json: cannot unmarshal number {text} into Go value of type {goName}");
        return Enum.ToObject(field.EnumType.ClrType, number);
    }

    /// <summary>
    /// The number a numeric field holds: a JSON number, or (jsonpb drops the quotes) a string whose content is
    /// one. Null when that content is JSON null (no change, as Go).
    /// </summary>
    private static string? NumberText(JsonElement json, string goType)
    {
        if (json.ValueKind == JsonValueKind.Number) return json.GetRawText();
        if (json.ValueKind != JsonValueKind.String) throw TypeError(json, goType);
        string raw = json.GetRawText();
        byte[] inner = Encoding.UTF8.GetBytes(raw[1..^1]);
        if (GoJsonScanner.CheckValid(inner) is { } syntax) throw new GatewayDecodeException(syntax); // json.Unmarshal's checkValid
        var reader = new Utf8JsonReader(inner, new JsonReaderOptions { MaxDepth = 10_001 });
        try
        {
            if (!reader.Read()) throw new GatewayDecodeException("unexpected end of JSON input");
            string? text = reader.TokenType switch
            {
                JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
                JsonTokenType.Null => null,
                JsonTokenType.String => throw new GatewayDecodeException($"json: cannot unmarshal string into Go value of type {goType}"),
                JsonTokenType.True or JsonTokenType.False =>
                    throw new GatewayDecodeException($"json: cannot unmarshal bool into Go value of type {goType}"),
                JsonTokenType.StartArray => throw new GatewayDecodeException($"json: cannot unmarshal array into Go value of type {goType}"),
                _ => throw new GatewayDecodeException($"json: cannot unmarshal object into Go value of type {goType}"),
            };
            if (reader.Read()) throw new JsonException();
            return text;
        }
        catch (JsonException e)
        {
            throw new GatewayDecodeException(e.Message);
        }
    }

    /// <summary>A number's text as the field's type, as Go's strconv does it (integers: digits and a sign only).</summary>
    private static object ReadScalarText(FieldDescriptor field, string text)
    {
        const NumberStyles integer = NumberStyles.AllowLeadingSign;
        CultureInfo c = CultureInfo.InvariantCulture;
        object? value = field.FieldType switch
        {
            FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => long.TryParse(text, integer, c, out long l) ? l : null,
            FieldType.UInt64 or FieldType.Fixed64 => ulong.TryParse(text, NumberStyles.None, c, out ulong ul) ? ul : null,
            FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => int.TryParse(text, integer, c, out int i) ? i : null,
            FieldType.UInt32 or FieldType.Fixed32 => uint.TryParse(text, NumberStyles.None, c, out uint ui) ? ui : null,
            FieldType.Double => double.TryParse(text, NumberStyles.Float, c, out double d) ? d : null,
            FieldType.Float => float.TryParse(text, NumberStyles.Float, c, out float f) ? f : null,
            FieldType.Bool => text switch { "true" => true, "false" => false, _ => null },
            _ => null,
        };
        return value ?? throw new GatewayDecodeException($"json: cannot unmarshal number {text} into Go value of type {GoTypeName(field)}");
    }

    private static GatewayDecodeException TypeError(JsonElement json, string goType)
    {
        string kind = json.ValueKind switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            JsonValueKind.True or JsonValueKind.False => "bool",
            JsonValueKind.Array => "array",
            _ => "object",
        };
        return new GatewayDecodeException($"json: cannot unmarshal {kind} into Go value of type {goType}");
    }

    private static string GoTypeName(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => "int64",
        FieldType.UInt64 or FieldType.Fixed64 => "uint64",
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => "int32",
        FieldType.UInt32 or FieldType.Fixed32 => "uint32",
        FieldType.Double => "float64",
        FieldType.Float => "float32",
        FieldType.Bool => "bool",
        FieldType.String => "string",
        FieldType.Bytes => "[]uint8",
        FieldType.Enum => GoEnumName(field.EnumType),
        _ => field.MessageType.Name,
    };

    /// <summary>The name protoc-gen-go registers an enum under: package, then nested names joined by '_'.</summary>
    private static string GoEnumName(EnumDescriptor e)
    {
        string package = e.File.Package;
        string local = package.Length > 0 ? e.FullName[(package.Length + 1)..] : e.FullName;
        return package.Length > 0 ? $"{package}.{local.Replace('.', '_')}" : local.Replace('.', '_');
    }

    /// <summary>Go's %q for the common case: a double-quoted string with quote and backslash escaped.</summary>
    private static string GoQuote(string s) =>
        "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
