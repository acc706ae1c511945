using System.Buffers;
using System.Buffers.Text;
using System.Collections;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace KvStore.Grpc.Gateway;

/// <summary>
/// Writes a message as etcd's gateway does: golang/protobuf jsonpb with OrigName and without EmitDefaults, compact.
/// Field names as in the .proto, fields in declaration order, default values left out (a set oneof member is
/// written even when it holds its default), 64-bit integers quoted, bytes in padded standard base64, enums by
/// name (by number when the number has no name), strings escaped as Go's encoding/json does (HTML-safe).
/// </summary>
internal static class GatewayJsonWriter
{
    private static ReadOnlySpan<byte> Hex => "0123456789abcdef"u8;

    public static void WriteMessage(ArrayBufferWriter<byte> output, IMessage message)
    {
        output.Write("{"u8);
        bool first = true;
        foreach (FieldDescriptor field in message.Descriptor.Fields.InDeclarationOrder())
        {
            object? value = field.Accessor.GetValue(message);
            if (!IsWritten(field, message, value)) continue;
            if (!first) output.Write(","u8);
            first = false;
            WriteName(output, field.Name);
            WriteField(output, field, value!);
        }
        output.Write("}"u8);
    }

    /// <summary>jsonpb's EmitDefaults=false: nil messages, empty lists and zero scalars are left out.</summary>
    private static bool IsWritten(FieldDescriptor field, IMessage message, object? value)
    {
        if (field.RealContainingOneof is { } oneof) return oneof.Accessor.GetCaseFieldDescriptor(message) == field;
        if (value is null) return false;
        if (field.IsMap) return ((IDictionary)value).Count > 0;
        if (field.IsRepeated) return ((IList)value).Count > 0;
        return field.FieldType switch
        {
            FieldType.Message or FieldType.Group => true,
            FieldType.Bool => (bool)value,
            FieldType.String => ((string)value).Length > 0,
            FieldType.Bytes => !((ByteString)value).IsEmpty,
            FieldType.Enum => Convert.ToInt64(value, CultureInfo.InvariantCulture) != 0,
            FieldType.Double => (double)value != 0,
            FieldType.Float => (float)value != 0,
            FieldType.UInt64 or FieldType.Fixed64 => (ulong)value != 0,
            FieldType.UInt32 or FieldType.Fixed32 => (uint)value != 0,
            FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => (long)value != 0,
            _ => (int)value != 0,
        };
    }

    private static void WriteField(ArrayBufferWriter<byte> output, FieldDescriptor field, object value)
    {
        if (field.IsMap)
        {
            WriteMap(output, field, (IDictionary)value);
            return;
        }
        if (!field.IsRepeated)
        {
            WriteValue(output, field, value);
            return;
        }
        output.Write("["u8);
        bool first = true;
        foreach (object? item in (IList)value)
        {
            if (!first) output.Write(","u8);
            first = false;
            WriteValue(output, field, item!);
        }
        output.Write("]"u8);
    }

    /// <summary>jsonpb: keys sorted, written as JSON strings.</summary>
    private static void WriteMap(ArrayBufferWriter<byte> output, FieldDescriptor field, IDictionary map)
    {
        FieldDescriptor valueField = field.MessageType.FindFieldByNumber(2);
        var keys = new List<object>(map.Count);
        foreach (object key in map.Keys) keys.Add(key);
        keys.Sort((a, b) => string.CompareOrdinal(KeyText(a), KeyText(b)));
        output.Write("{"u8);
        bool first = true;
        foreach (object key in keys)
        {
            if (!first) output.Write(","u8);
            first = false;
            WriteString(output, KeyText(key));
            output.Write(":"u8);
            WriteValue(output, valueField, map[key]!);
        }
        output.Write("}"u8);
    }

    private static string KeyText(object key) => key switch
    {
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => key.ToString() ?? "",
    };

    private static void WriteValue(ArrayBufferWriter<byte> output, FieldDescriptor field, object value)
    {
        switch (field.FieldType)
        {
            case FieldType.Message:
            case FieldType.Group:
                WriteMessage(output, (IMessage)value);
                break;
            case FieldType.String:
                WriteString(output, (string)value);
                break;
            case FieldType.Bytes:
                WriteBase64(output, ((ByteString)value).Span);
                break;
            case FieldType.Bool:
                output.Write((bool)value ? "true"u8 : "false"u8);
                break;
            case FieldType.Enum:
                int number = Convert.ToInt32(value, CultureInfo.InvariantCulture);
                if (field.EnumType.FindValueByNumber(number) is { } named) WriteString(output, named.Name);
                else WriteInteger(output, number, quoted: false);
                break;
            case FieldType.Int64:
            case FieldType.SInt64:
            case FieldType.SFixed64:
                WriteInteger(output, (long)value, quoted: true);
                break;
            case FieldType.UInt64:
            case FieldType.Fixed64:
                WriteUnsigned(output, (ulong)value, quoted: true);
                break;
            case FieldType.UInt32:
            case FieldType.Fixed32:
                WriteUnsigned(output, (uint)value, quoted: false);
                break;
            case FieldType.Double:
                WriteFloat(output, (double)value);
                break;
            case FieldType.Float:
                WriteFloat(output, (float)value);
                break;
            default:
                WriteInteger(output, (int)value, quoted: false);
                break;
        }
    }

    private static void WriteName(ArrayBufferWriter<byte> output, string name)
    {
        WriteString(output, name);
        output.Write(":"u8);
    }

    private static void WriteInteger(ArrayBufferWriter<byte> output, long value, bool quoted)
    {
        Span<byte> span = output.GetSpan(22);
        int n = 0;
        if (quoted) span[n++] = (byte)'"';
        Utf8Formatter.TryFormat(value, span[n..], out int written);
        n += written;
        if (quoted) span[n++] = (byte)'"';
        output.Advance(n);
    }

    private static void WriteUnsigned(ArrayBufferWriter<byte> output, ulong value, bool quoted)
    {
        Span<byte> span = output.GetSpan(22);
        int n = 0;
        if (quoted) span[n++] = (byte)'"';
        Utf8Formatter.TryFormat(value, span[n..], out int written);
        n += written;
        if (quoted) span[n++] = (byte)'"';
        output.Advance(n);
    }

    /// <summary>No etcd message has a float; non-finite values as jsonpb writes them, the rest round-trippable.</summary>
    private static void WriteFloat(ArrayBufferWriter<byte> output, double value)
    {
        string text = double.IsNaN(value) ? "\"NaN\""
            : double.IsPositiveInfinity(value) ? "\"Infinity\""
            : double.IsNegativeInfinity(value) ? "\"-Infinity\""
            : value.ToString("R", CultureInfo.InvariantCulture);
        Encoding.ASCII.GetBytes(text, output);
    }

    public static void WriteBase64(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        Span<byte> span = output.GetSpan(Base64.GetMaxEncodedToUtf8Length(bytes.Length) + 2);
        span[0] = (byte)'"';
        Base64.EncodeToUtf8(bytes, span[1..], out _, out int written);
        span[written + 1] = (byte)'"';
        output.Advance(written + 2);
    }

    /// <summary>
    /// Go's encoding/json string encoding with HTML escaping: quote and backslash escaped, \n \r \t by name, other
    /// control characters and &lt; &gt; &amp; as \u00XX (lower-case hex), U+2028 and U+2029 escaped, anything that
    /// is not valid UTF-16 (a lone surrogate) as \ufffd; the rest as UTF-8.
    /// </summary>
    public static void WriteString(ArrayBufferWriter<byte> output, string value)
    {
        output.Write("\""u8);
        ReadOnlySpan<char> s = value;
        int start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c < 0x80)
            {
                if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') continue;
            }
            else if (c != '\u2028' && c != '\u2029')
            {
                if (!char.IsSurrogate(c)) continue;
                if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                {
                    i++;
                    continue;
                }
            }
            Encoding.UTF8.GetBytes(s[start..i], output);
            WriteEscape(output, c);
            start = i + 1;
        }
        Encoding.UTF8.GetBytes(s[start..], output);
        output.Write("\""u8);
    }

    private static void WriteEscape(ArrayBufferWriter<byte> output, char c)
    {
        switch (c)
        {
            case '"': output.Write("\\\""u8); return;
            case '\\': output.Write("\\\\"u8); return;
            case '\n': output.Write("\\n"u8); return;
            case '\r': output.Write("\\r"u8); return;
            case '\t': output.Write("\\t"u8); return;
        }
        if (char.IsSurrogate(c)) c = '\ufffd';
        Span<byte> span = output.GetSpan(6);
        span[0] = (byte)'\\';
        span[1] = (byte)'u';
        span[2] = Hex[(c >> 12) & 0xF];
        span[3] = Hex[(c >> 8) & 0xF];
        span[4] = Hex[(c >> 4) & 0xF];
        span[5] = Hex[c & 0xF];
        output.Advance(6);
    }
}
