using Google.Protobuf;

namespace KvStore.Grpc.Gateway;

/// <summary>
/// Go's base64.StdEncoding.Decode, as encoding/json decodes a []byte: padding required, CR and LF skipped,
/// anything else outside the alphabet refused with "illegal base64 data at input byte N" where N is Go's offset.
/// </summary>
internal static class GoBase64
{
    private const byte Invalid = 0xFF;

    private static readonly byte[] DecodeMap = BuildDecodeMap();

    private static byte[] BuildDecodeMap()
    {
        byte[] map = new byte[256];
        Array.Fill(map, Invalid);
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < alphabet.Length; i++) map[alphabet[i]] = (byte)i;
        return map;
    }

    public static ByteString Decode(ReadOnlySpan<byte> src)
    {
        byte[] dst = new byte[src.Length / 4 * 3 + 3];
        int n = 0, si = 0;
        Span<byte> quantum = stackalloc byte[4];
        while (true)
        {
            // Go's decodeQuantum: up to four symbols, then the bytes they hold.
            int length = 4;
            bool end = false;
            for (int j = 0; j < 4; j++)
            {
                if (si == src.Length)
                {
                    if (j == 0) return ByteString.CopyFrom(dst, 0, n);
                    throw Corrupt(si - j); // an incomplete quantum without padding
                }
                byte c = src[si++];
                byte v = DecodeMap[c];
                if (v != Invalid)
                {
                    quantum[j] = v;
                    continue;
                }
                if (c is (byte)'\n' or (byte)'\r')
                {
                    j--;
                    continue;
                }
                if (c != (byte)'=') throw Corrupt(si - 1);
                // padding: only after two or three symbols
                switch (j)
                {
                    case 0:
                    case 1:
                        throw Corrupt(si - 1);
                    case 2:
                        while (si < src.Length && src[si] is (byte)'\n' or (byte)'\r') si++;
                        if (si == src.Length) throw Corrupt(src.Length);
                        if (src[si] != (byte)'=') throw Corrupt(si - 1);
                        si++;
                        break;
                }
                while (si < src.Length && src[si] is (byte)'\n' or (byte)'\r') si++;
                if (si < src.Length) throw Corrupt(si); // trailing garbage
                length = j;
                end = true;
                break;
            }
            int value = quantum[0] << 18 | quantum[1] << 12 | (length > 2 ? quantum[2] : 0) << 6 | (length > 3 ? quantum[3] : 0);
            dst[n++] = (byte)(value >> 16);
            if (length > 2) dst[n++] = (byte)(value >> 8);
            if (length > 3) dst[n++] = (byte)value;
            if (end) return ByteString.CopyFrom(dst, 0, n);
        }
    }

    private static GatewayDecodeException Corrupt(int offset) => new($"illegal base64 data at input byte {offset}");
}
