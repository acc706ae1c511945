namespace KvStore.KvBench;

/// <summary>
/// etcd benchmark keys: a <c>--key-size</c> byte buffer holding the key number as a Go varint (zig-zag, 7 bits a
/// byte), zero-padded; numbers run over <c>--key-space-size</c>, sequentially (i mod size) or at random.
/// </summary>
internal sealed class KeySpace
{
    public KeySpace(int keySize, int size, bool sequential)
    {
        if (size <= 0)
        {
            throw new UsageException($"expected positive --key-space-size, got ({size})");
        }

        if (VarintLength(size - 1) > keySize)
        {
            throw new UsageException(
                $"--key-size {keySize} is too small for --key-space-size {size}: key numbers need {VarintLength(size - 1)} bytes");
        }

        KeySize = keySize;
        Size = size;
        Sequential = sequential;
    }

    public int KeySize { get; }

    public int Size { get; }

    public bool Sequential { get; }

    public long Pick(long index, Random random) => Sequential ? index % Size : random.NextInt64(Size);

    /// <summary>Writes key number <paramref name="n"/> into <paramref name="key"/> (length KeySize), as Go's binary.PutVarint.</summary>
    public static void Write(Span<byte> key, long n)
    {
        key.Clear();
        var ux = (ulong)n << 1;
        if (n < 0)
        {
            ux = ~ux;
        }

        var i = 0;
        while (ux >= 0x80)
        {
            key[i++] = (byte)(ux | 0x80);
            ux >>= 7;
        }

        key[i] = (byte)ux;
    }

    private static int VarintLength(long n)
    {
        var ux = (ulong)n << 1;
        var length = 1;
        while (ux >= 0x80)
        {
            ux >>= 7;
            length++;
        }

        return length;
    }
}
