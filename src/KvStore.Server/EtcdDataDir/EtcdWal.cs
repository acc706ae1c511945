using System.Buffers.Binary;
using Google.Protobuf;
using KvStore.Mvcc;
using Crc32C = KvStore.Wal.Crc32C;
using Kvstorepb.EtcdDataDir;

namespace KvStore.Server.EtcdDataDir;

/// <summary>
/// What an etcd 3.4 member's write-ahead log holds (wal.ReadAll): who the member is (the metadata record), its last
/// hard state, and its Raft entries, a later entry replacing every entry from its index on (a new leader's log
/// overwriting an uncommitted tail).
/// </summary>
internal sealed record EtcdWal(ulong MemberId, ulong ClusterId, RaftHardState HardState, IReadOnlyList<Kvstorepb.EtcdDataDir.RaftEntry> Entries)
{
    private const long MetadataType = 1, EntryType = 2, StateType = 3, CrcType = 4, SnapshotType = 5;
    private const int FrameSize = 8, SectorSize = 512;

    // etcd's maxWALEntrySizeLimit: a longer frame is damage, not an entry.
    private const long MaxRecordBytes = 10L * 1024 * 1024;

    /// <summary>The *.wal files of <paramref name="walDir"/> in etcd's order (names are seq-index in hex).</summary>
    public static IReadOnlyList<string> Files(string walDir) =>
        Directory.Exists(walDir)
            ? Directory.GetFiles(walDir, "*.wal").Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>
    /// Reads every record of every WAL file (etcd's decoder: 8-byte little-endian frame lengths with padding in the
    /// top byte, records chained by CRC-32C). A torn last record (a crash mid-write) ends the log, as etcd's repair
    /// does; anything else that does not check out is damage, reported in etcd's words ("wal: crc mismatch").
    /// </summary>
    public static EtcdWal Read(string walDir)
    {
        IReadOnlyList<string> files = Files(walDir);
        if (files.Count == 0) throw new InvalidDataException($"wal: file not found in {walDir}");
        WalMetadata? metadata = null;
        var state = new RaftHardState();
        var entries = new List<Kvstorepb.EtcdDataDir.RaftEntry>();
        uint crc = 0;
        for (int f = 0; f < files.Count; f++)
        {
            byte[] data = File.ReadAllBytes(files[f]);
            bool last = f == files.Count - 1;
            int offset = 0;
            while (offset + FrameSize <= data.Length)
            {
                long frame = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(offset));
                if (frame == 0) break; // preallocated space: the end of this file
                long recordBytes = frame & 0x00FF_FFFF_FFFF_FFFF;
                long padBytes = frame < 0 ? (frame >>> 56) & 0x7 : 0;
                if (recordBytes >= MaxRecordBytes - padBytes) throw new InvalidDataException("wal: max entry size limit exceeded");
                int start = offset + FrameSize;
                if (start + recordBytes + padBytes > data.Length)
                {
                    if (last) break; // cut short by a crash
                    throw new InvalidDataException("unexpected EOF");
                }
                ReadOnlySpan<byte> recordSpan = data.AsSpan(start, (int)recordBytes);
                WalRecord record;
                try
                {
                    record = WalRecord.Parser.ParseFrom(recordSpan);
                }
                catch (InvalidProtocolBufferException) when (last && IsTorn(data, offset, (int)(recordBytes + padBytes)))
                {
                    break;
                }
                if (record.Type == CrcType)
                {
                    // The first record of each file carries the CRC the previous file ended with.
                    if (crc != 0 && record.Crc != crc) throw new InvalidDataException("wal: crc mismatch");
                    crc = record.Crc;
                }
                else
                {
                    crc = Crc32C.Append(crc, record.Data.Span);
                    if (record.Crc != crc)
                    {
                        if (last && IsTorn(data, offset, (int)(recordBytes + padBytes))) break;
                        throw new InvalidDataException("wal: crc mismatch");
                    }
                    switch (record.Type)
                    {
                        case MetadataType:
                            var read = WalMetadata.Parser.ParseFrom(record.Data);
                            if (metadata is not null && !metadata.Equals(read)) throw new InvalidDataException("wal: conflicting metadata found");
                            metadata = read;
                            break;
                        case EntryType:
                            Append(entries, Kvstorepb.EtcdDataDir.RaftEntry.Parser.ParseFrom(record.Data));
                            break;
                        case StateType:
                            state = RaftHardState.Parser.ParseFrom(record.Data);
                            break;
                        case SnapshotType:
                            break;
                        default:
                            throw new InvalidDataException($"unexpected block type {record.Type}");
                    }
                }
                offset = start + (int)(recordBytes + padBytes);
            }
        }
        if (metadata is null) throw new InvalidDataException("wal: no metadata record");
        return new EtcdWal(metadata.NodeId, metadata.ClusterId, state, entries);
    }

    /// <summary>wal.ReadAll's rule: an entry replaces the entries from its index on; a gap is damage.</summary>
    private static void Append(List<Kvstorepb.EtcdDataDir.RaftEntry> entries, Kvstorepb.EtcdDataDir.RaftEntry entry)
    {
        if (entries.Count > 0)
        {
            ulong first = entries[0].Index, lastIndex = entries[^1].Index;
            if (entry.Index <= lastIndex)
            {
                int keep = entry.Index <= first ? 0 : (int)(entry.Index - first);
                entries.RemoveRange(keep, entries.Count - keep);
            }
            else if (entry.Index > lastIndex + 1)
            {
                throw new InvalidDataException($"wal: entries {lastIndex + 1} to {entry.Index - 1} are missing");
            }
        }
        entries.Add(entry);
    }

    /// <summary>etcd's isTornEntry: some 512-byte sector of the record is all zeros (written only in part before a crash).</summary>
    private static bool IsTorn(byte[] file, int frameOffset, int length)
    {
        int fileOffset = frameOffset + FrameSize;
        int end = Math.Min(file.Length, fileOffset + length);
        while (fileOffset < end)
        {
            int chunk = Math.Min(SectorSize - fileOffset % SectorSize, end - fileOffset);
            if (!file.AsSpan(fileOffset, chunk).ContainsAnyExcept((byte)0)) return true;
            fileOffset += chunk;
        }
        return false;
    }
}
