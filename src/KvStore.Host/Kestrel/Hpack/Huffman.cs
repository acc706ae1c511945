namespace KvStore.Host.Kestrel.Hpack;

/// <summary>
/// Decodes HPACK Huffman strings (RFC 7541, section 5.2). The code is canonical: the codes of one length are
/// consecutive numbers, so a code read bit by bit is looked up by its distance from its length's first code.
/// </summary>
internal static class Huffman
{
    private const int MaxCodeLength = 30;

    // Per code length: the first code, how many symbols, and where they start in SymbolsByCode.
    private static readonly uint[] FirstCode = new uint[MaxCodeLength + 1];
    private static readonly int[] Count = new int[MaxCodeLength + 1];
    private static readonly int[] Offset = new int[MaxCodeLength + 1];
    private static readonly byte[] SymbolsByCode = new byte[256];

    static Huffman()
    {
        var codes = HuffmanTable.Codes.ToArray();
        var lengths = HuffmanTable.Lengths.ToArray();
        var order = Enumerable.Range(0, 256).OrderBy(s => lengths[s]).ThenBy(s => codes[s]).ToArray();
        for (var i = 0; i < order.Length; i++)
        {
            var symbol = order[i];
            int length = lengths[symbol];
            if (Count[length] == 0)
            {
                FirstCode[length] = codes[symbol];
                Offset[length] = i;
            }
            else if (codes[symbol] != FirstCode[length] + (uint)Count[length])
            {
                throw new InvalidOperationException("the HPACK Huffman table is not canonical");
            }
            Count[length]++;
            SymbolsByCode[i] = (byte)symbol;
        }
    }

    /// <summary>The decoded length; false when the input is not a valid Huffman string (EOS, bad padding).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        written = 0;
        uint code = 0;
        var length = 0;
        foreach (var b in source)
        {
            for (var bit = 7; bit >= 0; bit--)
            {
                code = (code << 1) | (uint)((b >> bit) & 1);
                length++;
                if (Count[length] > 0 && code - FirstCode[length] < (uint)Count[length])
                {
                    if (written == destination.Length)
                    {
                        return false;
                    }
                    destination[written++] = SymbolsByCode[Offset[length] + (int)(code - FirstCode[length])];
                    code = 0;
                    length = 0;
                }
                else if (length == MaxCodeLength)
                {
                    return false; // EOS or no code
                }
            }
        }
        // Padding: fewer than 8 bits, all ones (the most significant bits of EOS).
        return length < 8 && code == (1u << length) - 1;
    }

    /// <summary>An upper bound on the decoded length (the shortest code has 5 bits).</summary>
    public static int MaxDecodedLength(int encodedLength) => encodedLength * 8 / 5;
}
