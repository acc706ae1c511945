using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;
using KvStore.Storage;
using Mvccpb;

namespace KvStore.Mvcc;

/// <summary>
/// How the engine lays its records out in FASTER. Key-value history: key = (main, sub) revision, value =
/// one kind byte (put or tombstone) then the etcd <see cref="KeyValue"/> protobuf. Leases: key = (-1, id),
/// value = leasepb.Lease. Store metadata: key = (-2, 0). Auth store (users, roles, enabled, auth revision): key = (-3, 0).
/// </summary>
internal static class RecordCodec
{
    public const byte KindPut = 0;
    public const byte KindTombstone = 1;
    public const long LeaseSpace = -1;
    public static readonly Revision MetaKey = new(-2, 0);

    public static Revision LeaseKey(long id) => new(LeaseSpace, id);

    /// <summary>Writes a history record through a pooled buffer (returned before this method returns).</summary>
    public static int WriteKeyValue(RecordStore records, Revision rev, KeyValue kv, bool tombstone)
    {
        int size = kv.CalculateSize() + 1;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            buffer[0] = tombstone ? KindTombstone : KindPut;
            kv.WriteTo(buffer.AsSpan(1, size - 1));
            records.Upsert(rev, buffer.AsSpan(0, size));
            return size;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static KeyValue ReadKeyValue(byte[] record, out bool tombstone)
    {
        tombstone = record[0] == KindTombstone;
        return KeyValue.Parser.ParseFrom(record.AsSpan(1));
    }

    /// <summary>
    /// The compaction scheduled (its revision and sub count) and the last one finished (etcd's scheduledCompactRev and
    /// finishedCompactRev): an open that finds them different resumes the compaction.
    /// </summary>
    public static byte[] EncodeMeta(long compactRev, long compactSubCount, long finishedCompactRev)
    {
        var meta = new byte[24];
        BinaryPrimitives.WriteInt64LittleEndian(meta, compactRev);
        BinaryPrimitives.WriteInt64LittleEndian(meta.AsSpan(8), compactSubCount);
        BinaryPrimitives.WriteInt64LittleEndian(meta.AsSpan(16), finishedCompactRev);
        return meta;
    }

    /// <summary>Reads <see cref="EncodeMeta"/>; a 16-byte record (written before compaction ran in batches) is finished.</summary>
    public static (long CompactRev, long CompactSubCount, long FinishedCompactRev) DecodeMeta(byte[] meta)
    {
        long rev = BinaryPrimitives.ReadInt64LittleEndian(meta);
        long subs = BinaryPrimitives.ReadInt64LittleEndian(meta.AsSpan(8));
        return (rev, subs, meta.Length >= 24 ? BinaryPrimitives.ReadInt64LittleEndian(meta.AsSpan(16)) : rev);
    }
}
