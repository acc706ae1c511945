using System.Buffers;

namespace KvStore.Grpc;

/// <summary>Protobuf's base-128 varint, written where the wire bytes are built by hand (GogoUnmarshal, RangeResponseWriter).</summary>
internal static class Varint
{
    public static void Write(IBufferWriter<byte> output, ulong value)
    {
        Span<byte> bytes = stackalloc byte[10];
        int n = 0;
        do
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            bytes[n++] = value == 0 ? b : (byte)(b | 0x80);
        }
        while (value != 0);
        output.Write(bytes[..n]);
    }
}
