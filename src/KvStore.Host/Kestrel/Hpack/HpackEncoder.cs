using System.Buffers;

namespace KvStore.Host.Kestrel.Hpack;

/// <summary>
/// Encodes header fields without touching the receiver's dynamic table: an exact static-table match as an
/// indexed field, anything else as a literal without indexing (or never indexed, as it came), name by static
/// index when there is one, strings raw. The receiver's dynamic table therefore stays empty.
/// </summary>
internal static class HpackEncoder
{
    public static void Encode(IReadOnlyList<HeaderField> fields, IBufferWriter<byte> output)
    {
        foreach (var field in fields)
        {
            var index = field.StaticIndex;
            var nameIndex = field.StaticNameIndex;
            if (index < 0 || nameIndex < 0)
            {
                index = StaticTable.Find(field.Name, field.Value, out nameIndex);
            }
            if (index != 0 && !field.NeverIndexed)
            {
                WriteInteger(output, 0x80, 7, index);
                continue;
            }
            WriteInteger(output, field.NeverIndexed ? (byte)0x10 : (byte)0x00, 4, nameIndex);
            if (nameIndex == 0)
            {
                WriteString(output, field.Name);
            }
            WriteString(output, field.Value);
        }
    }

    private static void WriteString(IBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        WriteInteger(output, 0x00, 7, value.Length);
        output.Write(value);
    }

    /// <summary>An integer with an N-bit prefix (RFC 7541, 5.1) after the pattern bits in <paramref name="flags"/>.</summary>
    internal static void WriteInteger(IBufferWriter<byte> output, byte flags, int prefixBits, int value)
    {
        var span = output.GetSpan(6);
        var max = (1 << prefixBits) - 1;
        if (value < max)
        {
            span[0] = (byte)(flags | value);
            output.Advance(1);
            return;
        }
        span[0] = (byte)(flags | max);
        var written = 1;
        value -= max;
        while (value >= 0x80)
        {
            span[written++] = (byte)((value & 0x7f) | 0x80);
            value >>= 7;
        }
        span[written++] = (byte)value;
        output.Advance(written);
    }
}
