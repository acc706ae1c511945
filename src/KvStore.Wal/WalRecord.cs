using System.Buffers.Binary;

namespace KvStore.Wal;

/// <summary>
/// One record's fixed part. Layout, little-endian and 8-byte aligned so a length is never torn: u32 payload length |
/// u32 crc32c of bytes 8..end (header rest, payload, zero pad) | u8 type | u8 flags | u16 0 | u32 0 | i64 index |
/// i64 term | payload | zero pad to 8. WalRecordTests hold the round trip and every field's corruption.
/// </summary>
internal readonly record struct WalRecord(WalRecordType Type, bool IsConfiguration, long Index, long Term, int PayloadLength)
{
    /// <summary>Bytes of the fixed part before the payload.</summary>
    public const int HeaderSize = 32;

    /// <summary>The flag bit marking a configuration entry.</summary>
    public const byte ConfigurationFlag = 1;

    /// <summary>The bytes this record takes on disk, header, payload and padding.</summary>
    public int Size => HeaderSize + Padded(PayloadLength);

    /// <summary>The payload length rounded up to 8.</summary>
    public static int Padded(int length) => (length + 7) & ~7;

    /// <summary>Writes the header into <paramref name="header"/>; the CRC covers the header's rest, the payload and the pad.</summary>
    public void WriteHeader(Span<byte> header, ReadOnlySpan<byte> payload)
    {
        header[..HeaderSize].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)PayloadLength);
        header[8] = (byte)Type;
        header[9] = IsConfiguration ? ConfigurationFlag : (byte)0;
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], Index);
        BinaryPrimitives.WriteInt64LittleEndian(header[24..], Term);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], Checksum(header, payload));
    }

    /// <summary>Encodes the whole record into a new array (tests, small records).</summary>
    public static byte[] Encode(WalRecordType type, bool configuration, long index, long term, ReadOnlySpan<byte> payload)
    {
        var record = new WalRecord(type, configuration, index, term, payload.Length);
        byte[] bytes = new byte[record.Size];
        payload.CopyTo(bytes.AsSpan(HeaderSize));
        record.WriteHeader(bytes, payload);
        return bytes;
    }

    /// <summary>
    /// Reads the record at the start of <paramref name="bytes"/>: false when it is short, its length runs past the
    /// bytes, its type or reserved bytes are unknown, or its CRC does not match.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out WalRecord record)
    {
        record = default;
        if (bytes.Length < HeaderSize) return false;
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        if (length > (uint)(bytes.Length - HeaderSize)) return false;
        int padded = Padded((int)length);
        if (padded > bytes.Length - HeaderSize) return false;
        var type = (WalRecordType)bytes[8];
        if (type is not (WalRecordType.Entry or WalRecordType.Batch or WalRecordType.CommitHint or WalRecordType.SnapshotReset
            or WalRecordType.SegmentHeader))
            return false;
        if (bytes[9] > ConfigurationFlag || BinaryPrimitives.ReadUInt16LittleEndian(bytes[10..]) != 0
            || BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]) != 0) return false;
        ReadOnlySpan<byte> payload = bytes.Slice(HeaderSize, (int)length);
        uint crc = Crc32C.Append(Crc32C.Append(Crc32C.Append(0, bytes[8..HeaderSize]), payload),
            bytes.Slice(HeaderSize + (int)length, padded - (int)length));
        if (crc != BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..])) return false;
        record = new WalRecord(type, bytes[9] == ConfigurationFlag, BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[24..]), (int)length);
        return true;
    }

    private static uint Checksum(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        Span<byte> pad = stackalloc byte[8];
        pad.Clear();
        uint crc = Crc32C.Append(Crc32C.Append(0, header[8..HeaderSize]), payload);
        return Crc32C.Append(crc, pad[..(Padded(payload.Length) - payload.Length)]);
    }
}
