using Google.Protobuf;
using Mvccpb;

namespace KvStore.Mvcc;

/// <summary>
/// Decodes a history record's <see cref="KeyValue"/> with its key and value wrapping the record's own bytes instead
/// of copies. Safe because a record array comes fresh from the store (RecordStore copies it out) and nothing
/// writes to it afterwards. Same fields as <c>KeyValue.Parser.ParseFrom</c> (KeyValueViewTests).
/// </summary>
internal static class KeyValueView
{
    public static KeyValue Decode(byte[] record, out bool tombstone)
    {
        tombstone = record[0] == RecordCodec.KindTombstone;
        var kv = new KeyValue();
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
                        case 2: kv.CreateRevision = number; break;
                        case 3: kv.ModRevision = number; break;
                        case 4: kv.Version = number; break;
                        case 6: kv.Lease = number; break;
                    }
                    break;
                case 2:
                    int length = checked((int)ReadVarint(record, ref pos));
                    if (length < 0 || length > record.Length - pos) throw new InvalidDataException("record's field runs past its end");
                    var bytes = UnsafeByteOperations.UnsafeWrap(record.AsMemory(pos, length));
                    if (field == 1) kv.Key = bytes;
                    else if (field == 5) kv.Value = bytes;
                    pos += length;
                    break;
                case 1: pos += 8; break;
                case 5: pos += 4; break;
                default: throw new InvalidDataException($"record has wire type {tag & 7}");
            }
        }
        if (pos != record.Length) throw new InvalidDataException("record's last field runs past its end");
        return kv;
    }

    private static ulong ReadVarint(byte[] buffer, ref int pos)
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
