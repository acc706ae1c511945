using Google.Protobuf;
using Mvccpb;

namespace KvStore.Mvcc;

/// <summary>
/// A history record's fields as <see cref="KeyValueView.ReadFields"/> finds them: the numbers, and where the key and the
/// value lie in the record (offsets from its first byte, the kind byte).
/// </summary>
internal readonly record struct KeyValueFields(
    bool Tombstone, int KeyStart, int KeyLength, int ValueStart, int ValueLength,
    long CreateRevision, long ModRevision, long Version, long Lease)
{
    public ReadOnlySpan<byte> Key(ReadOnlySpan<byte> record) => record.Slice(KeyStart, KeyLength);
}

/// <summary>
/// Decodes a history record's <see cref="KeyValue"/> without copying its bytes: <see cref="Decode(byte[], out bool)"/> wraps the record's
/// own key and value, <see cref="ReadFields"/> (a recovery's rebuild, which needs no value) reads the numbers and where
/// the key lies. Same fields as <c>KeyValue.Parser.ParseFrom</c> (KeyValueViewTests).
/// </summary>
internal static class KeyValueView
{
    /// <summary>
    /// The record's <see cref="KeyValue"/>, its key and value wrapping the record's bytes. Safe because a record array
    /// comes fresh from the store (RecordStore copies it out) and nothing writes to it afterwards.
    /// </summary>
    public static KeyValue Decode(byte[] record, out bool tombstone) => Decode(record.AsMemory(), out tombstone);

    /// <summary>As <see cref="Decode(byte[], out bool)"/>, for a record in a part of an array no one writes to afterwards.</summary>
    public static KeyValue Decode(ReadOnlyMemory<byte> record, out bool tombstone)
    {
        KeyValueFields f = ReadFields(record.Span);
        tombstone = f.Tombstone;
        var kv = new KeyValue { CreateRevision = f.CreateRevision, ModRevision = f.ModRevision, Version = f.Version, Lease = f.Lease };
        if (f.KeyLength > 0) kv.Key = UnsafeByteOperations.UnsafeWrap(record.Slice(f.KeyStart, f.KeyLength));
        if (f.ValueLength > 0) kv.Value = UnsafeByteOperations.UnsafeWrap(record.Slice(f.ValueStart, f.ValueLength));
        return kv;
    }

    /// <summary>The record's fields; throws <see cref="InvalidDataException"/> for a record that is not one.</summary>
    public static KeyValueFields ReadFields(ReadOnlySpan<byte> record)
    {
        bool tombstone = record[0] == RecordCodec.KindTombstone;
        int keyStart = 0, keyLength = 0, valueStart = 0, valueLength = 0;
        long create = 0, mod = 0, version = 0, lease = 0;
        int pos = 1;
        while (pos < record.Length)
        {
            ulong tag = ReadVarint(record, ref pos);
            int field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0:
                    long number = (long)ReadVarint(record, ref pos);
                    switch (field)
                    {
                        case 2: create = number; break;
                        case 3: mod = number; break;
                        case 4: version = number; break;
                        case 6: lease = number; break;
                    }
                    break;
                case 2:
                    int length = checked((int)ReadVarint(record, ref pos));
                    if (length < 0 || length > record.Length - pos) throw new InvalidDataException("record's field runs past its end");
                    if (field == 1) (keyStart, keyLength) = (pos, length);
                    else if (field == 5) (valueStart, valueLength) = (pos, length);
                    pos += length;
                    break;
                case 1: pos += 8; break;
                case 5: pos += 4; break;
                default: throw new InvalidDataException($"record has wire type {tag & 7}");
            }
        }
        if (pos != record.Length) throw new InvalidDataException("record's last field runs past its end");
        return new KeyValueFields(tombstone, keyStart, keyLength, valueStart, valueLength, create, mod, version, lease);
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> buffer, ref int pos)
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (pos >= buffer.Length) throw new InvalidDataException("record ends inside a varint");
            byte b = buffer[pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return result;
        }
        throw new InvalidDataException("record has a varint longer than 10 bytes");
    }
}
