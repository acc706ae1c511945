using System.Buffers.Binary;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Bbolt;
using KvStore.Mvcc.Backup;
using KvStore.Wal;
using Mvccpb;

namespace KvStore.Mvcc.Tests.Backup;

/// <summary>
/// The bbolt reader on small files laid out here byte by byte as bbolt's page.go describes them (meta pages 0/1,
/// a synced freelist page, a root leaf holding the "key" bucket inline): what it reads, and bbolt's Check errors on
/// damage that real etcd snapshots (no synced freelist) never exercise. Real etcd 3.4 files are covered by
/// tests/KvStore.Etcdctl.Tests/SnapshotRestoreTests.
/// </summary>
public sealed class BoltReaderTests : IDisposable
{
    private const int PageSize = 4096;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly KeyValue Kv = new()
    {
        Key = ByteString.CopyFromUtf8("foo"), Value = ByteString.CopyFromUtf8("bar"), CreateRevision = 7, ModRevision = 7, Version = 1,
    };

    /// <summary>Four pages: metas (txid 1 and 2), the freelist (page 2, <paramref name="freed"/>), the root leaf (page 3).</summary>
    private static byte[] File(ulong[]? freed = null, ulong highWaterMark = 4, ulong rootPage = 3)
    {
        var file = new byte[PageSize * 4];
        for (int i = 0; i < 2; i++) WriteMeta(file.AsSpan(i * PageSize, PageSize), (ulong)i, txid: (ulong)i + 1, root: rootPage, highWaterMark);

        Span<byte> freelist = file.AsSpan(2 * PageSize, PageSize);
        WritePageHeader(freelist, 2, 0x10, (ushort)(freed?.Length ?? 0));
        for (int i = 0; i < (freed?.Length ?? 0); i++) BinaryPrimitives.WriteUInt64LittleEndian(freelist[(16 + 8 * i)..], freed![i]);

        // The key bucket inline: bucket header (root 0, sequence 0), then a leaf page with one revision.
        var revKey = new byte[17];
        BinaryPrimitives.WriteInt64BigEndian(revKey, 7);
        revKey[8] = (byte)'_';
        byte[] value = Kv.ToByteArray();
        var inline = new byte[16 + 16 + 16 + revKey.Length + value.Length];
        WritePageHeader(inline.AsSpan(16), 0, 0x02, 1);
        WriteLeafElement(inline.AsSpan(32), flags: 0, pos: 16, revKey.Length, value.Length);
        revKey.CopyTo(inline, 48);
        value.CopyTo(inline, 48 + revKey.Length);

        Span<byte> root = file.AsSpan(3 * PageSize, PageSize);
        WritePageHeader(root, 3, 0x02, 1);
        WriteLeafElement(root[16..], flags: 1, pos: 16, 3, inline.Length);
        "key"u8.CopyTo(root[32..]);
        inline.CopyTo(root[35..]);
        return file;
    }

    private static void WritePageHeader(Span<byte> page, ulong id, ushort flags, ushort count)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(page, id);
        BinaryPrimitives.WriteUInt16LittleEndian(page[8..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(page[10..], count);
    }

    private static void WriteLeafElement(Span<byte> e, uint flags, int pos, int ksize, int vsize)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(e, flags);
        BinaryPrimitives.WriteUInt32LittleEndian(e[4..], (uint)pos);
        BinaryPrimitives.WriteUInt32LittleEndian(e[8..], (uint)ksize);
        BinaryPrimitives.WriteUInt32LittleEndian(e[12..], (uint)vsize);
    }

    private static void WriteMeta(Span<byte> page, ulong id, ulong txid, ulong root, ulong highWaterMark)
    {
        WritePageHeader(page, id, 0x04, 0);
        Span<byte> m = page[16..];
        BinaryPrimitives.WriteUInt32LittleEndian(m, 0xED0CDAED);
        BinaryPrimitives.WriteUInt32LittleEndian(m[4..], 2);
        BinaryPrimitives.WriteUInt32LittleEndian(m[8..], PageSize);
        BinaryPrimitives.WriteUInt64LittleEndian(m[16..], root);
        BinaryPrimitives.WriteUInt64LittleEndian(m[32..], 2); // freelist page
        BinaryPrimitives.WriteUInt64LittleEndian(m[40..], highWaterMark);
        BinaryPrimitives.WriteUInt64LittleEndian(m[48..], txid);
        ulong h = 14695981039346656037UL; // FNV-1a 64 of the fields before the checksum
        foreach (byte b in m[..56])
        {
            h ^= b;
            h *= 1099511628211UL;
        }
        BinaryPrimitives.WriteUInt64LittleEndian(m[56..], h);
    }

    private string Save(byte[] bytes)
    {
        string path = Path.Combine(_dir.Path, Guid.NewGuid().ToString("N") + ".db");
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Status_HashesBucketNameKeysAndValues_AsEtcdctl()
    {
        BackupStatus status = EtcdBackupReader.Status(Save(File()));
        var revKey = new byte[17];
        BinaryPrimitives.WriteInt64BigEndian(revKey, 7);
        revKey[8] = (byte)'_';
        uint expected = Crc32C.Append(Crc32C.Append(Crc32C.Append(0, "key"u8), revKey), Kv.ToByteArray());
        Assert.Equal(new BackupStatus(expected, 7, 1, 4 * PageSize), status);
    }

    [Theory]
    [InlineData("reachable", "page 3: reachable freed")]
    [InlineData("double", "page 3: already freed")]
    [InlineData("unreachable", "page 4: unreachable unfreed")]
    [InlineData("outOfBounds", "page 9: out of bounds: 4")]
    public void Check_ReportsBboltsErrors(string damage, string error)
    {
        byte[] file = damage switch
        {
            "reachable" => File(freed: [3]),
            "double" => File(freed: [3, 3]),
            "unreachable" => [.. File(highWaterMark: 5), .. new byte[PageSize]],
            _ => File(rootPage: 9),
        };
        using BoltReader bolt = BoltReader.Open(Save(file));
        Assert.Contains(error, bolt.Check());
        var e = Assert.Throws<InvalidDataException>(() => EtcdBackupReader.Status(Save(file)));
        Assert.StartsWith("snapshot file integrity check failed.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_RefusesWhatBboltRefuses()
    {
        Assert.Equal("file size too small", Assert.Throws<InvalidDataException>(() => BoltReader.Open(Save(new byte[5000]))).Message);
        Assert.Equal("invalid database", Assert.Throws<InvalidDataException>(() => BoltReader.Open(Save(new byte[3 * PageSize]))).Message);

        // A damaged newer meta page: bbolt falls back to the other one.
        byte[] file = File();
        file[PageSize + 16 + 40] ^= 1; // meta 1's high-water mark, so its checksum no longer matches
        using BoltReader bolt = BoltReader.Open(Save(file));
        Assert.Equal(1UL, bolt.TxId);
        byte[] both = File();
        both[16 + 40] ^= 1;
        both[PageSize + 16 + 40] ^= 1;
        Assert.Equal("checksum error", Assert.Throws<InvalidDataException>(() => BoltReader.Open(Save(both))).Message);
    }

    [Fact]
    public async Task Restore_LoadsTheKeyBucketIntoANewStore()
    {
        (MvccStore store, BackupRestoreResult result) = await EtcdBackupReader.RestoreAsync(Save(File()), new MvccOptions { Directory = Path.Combine(_dir.Path, "store") });
        using (store)
        {
            Assert.Equal(7, result.Revision);
            Assert.Equal(7, store.CurrentRevision);
            Assert.Equal(0, store.ConsistentIndex);
            RangeResponse range = store.Range(new RangeRequest { Key = ByteString.CopyFromUtf8("foo") }).Value;
            Assert.Equal(Kv, Assert.Single(range.Kvs));
        }
        // Checkpointed: the store reopens with the same state.
        using MvccStore reopened = MvccStore.Open(Path.Combine(_dir.Path, "store"));
        Assert.Equal(7, reopened.CurrentRevision);
        Assert.Equal(Kv, Assert.Single(reopened.Range(new RangeRequest { Key = ByteString.CopyFromUtf8("foo") }).Value.Kvs));
    }
}
