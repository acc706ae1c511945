using System.Buffers.Binary;
using System.Numerics;

namespace KvStore.Wal;

/// <summary>CRC-32C (Castagnoli), the checksum of etcd's Hash, HashKV and WAL and of our WAL records, on the crc32 instruction.</summary>
public static class Crc32C
{
    /// <summary>
    /// Go's crc32.Update(crc, castagnoli, data): the checksum of what <paramref name="crc"/> covered followed by
    /// <paramref name="data"/>.
    /// </summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        crc = ~crc;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (byte b in data) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }
}
