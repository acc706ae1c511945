using System.Buffers;
using Google.Protobuf.Reflection;

namespace KvStore.Grpc.Decoding;

/// <summary>
/// Decides a request's bytes as the Unmarshal gogo protobuf 1.3.2 generates for etcd's messages would (etcd 3.5's
/// rpc.pb.go; 3.4's is the same except where <see cref="WireError.IndexOverflow"/> says): each known field must come in
/// its own wire type, unknown fields are skipped, and the first fault ends it with gogo's error text. Indices are
/// Go ints (64-bit, wrapping), as there. Google.Protobuf alone is laxer (a known field in the wrong wire type is
/// skipped) and words its errors otherwise. Tests: GogoUnmarshalTests (one row per error) and the differential
/// decoding fuzz against etcd 3.4.
/// </summary>
public static class GogoUnmarshal
{
    /// <summary>
    /// Message and group nesting accepted: a follower forwards a request two messages deeper (RaftBatch,
    /// InternalRaftRequest) to a leader that parses with Google.Protobuf's default limit of 100.
    /// </summary>
    public const int MaxDepth = 98;

    public static WireVerdict Check(MessageDescriptor type, ReadOnlySpan<byte> data) => Message(type, data, depth: 0);

    private static WireVerdict Message(MessageDescriptor type, ReadOnlySpan<byte> data, int depth)
    {
        long l = data.Length;
        long i = 0;
        while (i < l)
        {
            long pre = i;
            if (!Varint(data, ref i, out ulong wire, out WireVerdict fault)) return fault;
            int fieldNum = unchecked((int)(wire >> 3)); // Go: int32(wire >> 3)
            int wireType = (int)(wire & 7);
            if (wireType == 4) return new(WireError.EndGroupForNonGroup, $"proto: {type.Name}: wiretype end group for non-group");
            if (fieldNum <= 0) return new(WireError.IllegalTag, $"proto: {type.Name}: illegal tag {fieldNum} (wire type {wire})");
            FieldDescriptor? field = type.FindFieldByNumber(fieldNum);
            WireVerdict verdict = field is null ? Unknown(data, pre, ref i, depth) : Known(field, data, wireType, ref i, depth);
            if (!verdict.IsOk) return verdict;
        }
        return i > l ? Eof : WireVerdict.Ok;
    }

    private static WireVerdict Known(FieldDescriptor field, ReadOnlySpan<byte> data, int wireType, ref long i, int depth)
    {
        int expected = WireType(field.FieldType);
        bool packable = field.IsRepeated && expected != 2;
        if (packable && wireType == 2) return Packed(field, data, ref i);
        if (wireType != expected) return new(WireError.WrongWireType, $"proto: wrong wireType = {wireType} for field {GoName(field.Name)}");
        switch (expected)
        {
            case 0:
                return Varint(data, ref i, out _, out WireVerdict fault) ? WireVerdict.Ok : fault;
            case 1:
                return Fixed(data, ref i, 8);
            case 5:
                return Fixed(data, ref i, 4);
            default:
                if (!Length(data, ref i, out long end, out WireVerdict bad)) return bad;
                long start = i;
                i = end;
                if (field.FieldType != FieldType.Message) return WireVerdict.Ok;
                if (depth + 1 > MaxDepth) return TooDeep;
                return Message(field.MessageType, data[(int)start..(int)end], depth + 1);
        }
    }

    /// <summary>A packed repeated scalar: its elements are read up to the data's end, not the packed length's (as gogo does).</summary>
    private static WireVerdict Packed(FieldDescriptor field, ReadOnlySpan<byte> data, ref long i)
    {
        if (!Length(data, ref i, out long end, out WireVerdict bad)) return bad;
        int size = WireType(field.FieldType) switch { 1 => 8, 5 => 4, _ => 0 };
        while (i < end)
        {
            WireVerdict verdict = size == 0 ? (Varint(data, ref i, out _, out WireVerdict fault) ? WireVerdict.Ok : fault) : Fixed(data, ref i, size);
            if (!verdict.IsOk) return verdict;
        }
        return WireVerdict.Ok;
    }

    /// <summary>A length prefix and the end it gives: gogo's negative, overflow and past-the-end checks in its order.</summary>
    private static bool Length(ReadOnlySpan<byte> data, ref long i, out long end, out WireVerdict fault)
    {
        end = 0;
        if (!Varint(data, ref i, out ulong raw, out fault)) return false;
        long length = unchecked((long)raw);
        if (length < 0)
        {
            fault = Negative;
            return false;
        }
        end = unchecked(i + length);
        fault = end < 0 ? Overflow : end > data.Length ? Eof : WireVerdict.Ok;
        return fault.IsOk;
    }

    private static WireVerdict Fixed(ReadOnlySpan<byte> data, ref long i, int size)
    {
        if (i + size > data.Length) return Eof;
        i += size;
        return WireVerdict.Ok;
    }

    /// <summary>An unknown field, skipped as gogo 1.3.2's skipRpc does (groups by depth, any end-group tag closing one).</summary>
    private static WireVerdict Unknown(ReadOnlySpan<byte> data, long pre, ref long i, int depth)
    {
        ReadOnlySpan<byte> rest = data[(int)pre..];
        long l = rest.Length;
        long j = 0;
        int groups = 0;
        while (j < l)
        {
            if (!Varint(rest, ref j, out ulong wire, out WireVerdict fault)) return fault;
            switch ((int)(wire & 7))
            {
                case 0:
                    if (!Varint(rest, ref j, out _, out fault)) return fault;
                    break;
                case 1:
                    j += 8;
                    break;
                case 2:
                    if (!Varint(rest, ref j, out ulong raw, out fault)) return fault;
                    long length = unchecked((long)raw);
                    if (length < 0) return Negative;
                    j = unchecked(j + length);
                    break;
                case 3:
                    if (depth + ++groups >= MaxDepth) return TooDeep; // Google.Protobuf counts a group as a level too
                    break;
                case 4:
                    if (groups == 0) return new(WireError.UnexpectedEndOfGroup, "proto: unexpected end of group");
                    groups--;
                    break;
                case 5:
                    j += 4;
                    break;
                default:
                    return new(WireError.IllegalWireType, $"proto: illegal wireType {(int)(wire & 7)}");
            }
            // etcd 3.4's skip returns a negative end to the caller at the top level (which refuses it as a negative
            // length) but walks on with it inside a group and panics.
            if (j < 0) return groups == 0 ? Negative : Overflow;
            if (groups == 0)
            {
                long end = unchecked(pre + j);
                if (end < 0) return Overflow;
                if (end > data.Length) return Eof;
                i = end;
                return WireVerdict.Ok;
            }
        }
        return Eof;
    }

    /// <summary>
    /// The message (one <see cref="Check"/> passed) re-encoded as what gogo reads from it, for Google.Protobuf to parse
    /// when it refuses the original: strings hold any bytes in Go (invalid UTF-8 becomes U+FFFD here), and unknown
    /// fields (Google.Protobuf also checks that a group ends with its own field number) are left out.
    /// </summary>
    public static byte[] Normalize(MessageDescriptor type, ReadOnlySpan<byte> data)
    {
        var output = new ArrayBufferWriter<byte>(data.Length);
        Normalize(type, data, output);
        return output.WrittenSpan.ToArray();
    }

    private static void Normalize(MessageDescriptor type, ReadOnlySpan<byte> data, ArrayBufferWriter<byte> output)
    {
        long i = 0;
        while (i < data.Length)
        {
            long start = i;
            if (!Varint(data, ref i, out ulong wire, out _)) return;
            FieldDescriptor? field = type.FindFieldByNumber(unchecked((int)(wire >> 3)));
            if (field is null)
            {
                if (!Unknown(data, start, ref i, 0).IsOk) return;
                continue;
            }
            switch ((int)(wire & 7))
            {
                case 0:
                    Varint(data, ref i, out _, out _);
                    break;
                case 1:
                    i += 8;
                    break;
                case 5:
                    i += 4;
                    break;
                default:
                    if (!Length(data, ref i, out long end, out _)) return;
                    ReadOnlySpan<byte> value = data[(int)i..(int)end];
                    i = end;
                    byte[]? rewritten = field.FieldType switch
                    {
                        FieldType.Message => Normalize(field.MessageType, value),
                        FieldType.String => System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(value)),
                        _ => null,
                    };
                    if (rewritten is null) break;
                    KvStore.Grpc.Varint.Write(output, wire);
                    KvStore.Grpc.Varint.Write(output, (ulong)rewritten.Length);
                    output.Write(rewritten);
                    continue;
            }
            output.Write(data[(int)start..(int)i]);
        }
    }

    /// <summary>gogo's varint loop: at most ten bytes (a longer one is an overflow), bits past 64 dropped.</summary>
    private static bool Varint(ReadOnlySpan<byte> data, ref long i, out ulong value, out WireVerdict fault)
    {
        value = 0;
        for (int shift = 0; ; shift += 7)
        {
            if (shift >= 64)
            {
                fault = new(WireError.IntegerOverflow, "proto: integer overflow");
                return false;
            }
            if (i >= data.Length)
            {
                fault = Eof;
                return false;
            }
            byte b = data[(int)i++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) break;
        }
        fault = WireVerdict.Ok;
        return true;
    }

    private static int WireType(FieldType type) => type switch
    {
        FieldType.Double or FieldType.Fixed64 or FieldType.SFixed64 => 1,
        FieldType.Float or FieldType.Fixed32 or FieldType.SFixed32 => 5,
        FieldType.String or FieldType.Bytes or FieldType.Message => 2,
        FieldType.Group => 3,
        _ => 0,
    };

    /// <summary>protoc-gen-go's CamelCase of a proto field name, the name gogo's errors use ("range_end" is RangeEnd).</summary>
    public static string GoName(string name)
    {
        var go = new System.Text.StringBuilder(name.Length);
        int i = 0;
        if (name.Length > 0 && name[0] == '_')
        {
            go.Append('X');
            i++;
        }
        for (; i < name.Length; i++)
        {
            char c = name[i];
            if (c == '_' && i + 1 < name.Length && char.IsAsciiLetterLower(name[i + 1])) continue;
            if (char.IsAsciiDigit(c))
            {
                go.Append(c);
                continue;
            }
            go.Append(char.IsAsciiLetterLower(c) ? char.ToUpperInvariant(c) : c);
            while (i + 1 < name.Length && char.IsAsciiLetterLower(name[i + 1])) go.Append(name[++i]);
        }
        return go.ToString();
    }

    private static readonly WireVerdict Eof = new(WireError.UnexpectedEof, "unexpected EOF");
    private static readonly WireVerdict Negative = new(WireError.NegativeLength, "proto: negative length found during unmarshaling");
    private static readonly WireVerdict Overflow = new(WireError.IndexOverflow, "proto: negative length found during unmarshaling");
    private static readonly WireVerdict TooDeep = new(WireError.TooDeep, "proto: nested too deep");
}
