using System.Buffers.Binary;
using KvStore.Bbolt;

namespace KvStore.Bbolt.Tests;

/// <summary>
/// BoltWriter's page layout and its refusals. That real bbolt reads what it writes is checked with the real
/// etcdctl and etcd in tests/KvStore.Etcdctl.Tests (SnapshotBoltTests, SnapshotBoltBigStoreTests).
/// </summary>
public sealed class BoltWriterTests
{
    private static ushort Flags(byte[] db, long page) => BinaryPrimitives.ReadUInt16LittleEndian(db.AsSpan((int)(page * BoltWriter.PageSize) + 8));

    private static ushort Count(byte[] db, long page) => BinaryPrimitives.ReadUInt16LittleEndian(db.AsSpan((int)(page * BoltWriter.PageSize) + 10));

    private static uint Overflow(byte[] db, long page) => BinaryPrimitives.ReadUInt32LittleEndian(db.AsSpan((int)(page * BoltWriter.PageSize) + 12));

    [Fact]
    public void MetaPages_FreelistAndRoot_AreLaidOutAsBboltReadsThem()
    {
        var ms = new MemoryStream();
        var w = new BoltWriter(ms);
        using (w.CreateBucket("b"u8)) { }
        long size = w.Finish(txid: 7);
        byte[] db = ms.ToArray();
        Assert.Equal(size, db.Length);
        Assert.Equal(5 * BoltWriter.PageSize, size); // 2 meta, freelist, the empty bucket's leaf, the root bucket's leaf

        for (int id = 0; id < 2; id++)
        {
            ReadOnlySpan<byte> m = db.AsSpan(id * BoltWriter.PageSize + 16);
            Assert.Equal(id, BinaryPrimitives.ReadInt64LittleEndian(db.AsSpan(id * BoltWriter.PageSize)));
            Assert.Equal(0x04, Flags(db, id));
            Assert.Equal(0xED0CDAEDu, BinaryPrimitives.ReadUInt32LittleEndian(m));
            Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(m[4..]));
            Assert.Equal(4096u, BinaryPrimitives.ReadUInt32LittleEndian(m[8..]));
            Assert.Equal(4L, BinaryPrimitives.ReadInt64LittleEndian(m[16..])); // root bucket's page, written last
            Assert.Equal(2L, BinaryPrimitives.ReadInt64LittleEndian(m[32..])); // freelist
            Assert.Equal(5L, BinaryPrimitives.ReadInt64LittleEndian(m[40..])); // high-water mark
            Assert.Equal(7UL - (ulong)id, BinaryPrimitives.ReadUInt64LittleEndian(m[48..]));
            Assert.Equal(BoltFormat.Fnv1a64(m[..56]), BinaryPrimitives.ReadUInt64LittleEndian(m[56..]));
        }
        Assert.Equal(0x10, Flags(db, 2));
        Assert.Equal(0, Count(db, 2));
        Assert.Equal(0x02, Flags(db, 3));
        Assert.Equal(0, Count(db, 3));
        Assert.Equal(0x02, Flags(db, 4));
        Assert.Equal(1, Count(db, 4));
        // The root bucket's element: flags bucketLeafFlag, key "b", value = bucket{root 3, sequence 0}.
        ReadOnlySpan<byte> e = db.AsSpan(4 * BoltWriter.PageSize + 16);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(e));
        int pos = (int)BinaryPrimitives.ReadUInt32LittleEndian(e[4..]);
        Assert.Equal(16, pos); // data right after the one element header
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(e[8..]));
        Assert.Equal(16u, BinaryPrimitives.ReadUInt32LittleEndian(e[12..]));
        Assert.Equal((byte)'b', e[pos]);
        Assert.Equal(3L, BinaryPrimitives.ReadInt64LittleEndian(e[(pos + 1)..]));
    }

    [Fact]
    public void Fnv1a64_IsBboltsMetaChecksum() =>
        Assert.Equal(0xaf63dc4c8601ec8cUL, BoltFormat.Fnv1a64("a"u8)); // FNV-1a 64 test vector

    [Fact]
    public void AValueLargerThanAPage_GetsOverflowPages_AndLeavesSplitAtThePageSize()
    {
        var ms = new MemoryStream();
        var w = new BoltWriter(ms);
        using (BoltWriter.BucketWriter b = w.CreateBucket("b"u8))
        {
            b.Put("a"u8, new byte[100]);
            b.Put("b"u8, new byte[10_000]);
            for (int i = 0; i < 200; i++) b.Put(System.Text.Encoding.ASCII.GetBytes($"c{i:D3}"), new byte[20]);
        }
        w.Finish();
        byte[] db = ms.ToArray();
        Assert.Equal(0x02, Flags(db, 3));
        Assert.Equal(1, Count(db, 3)); // "a": "b" does not fit beside it
        Assert.Equal(2u, Overflow(db, 4)); // "b": 16 + 16 + 1 + 10000 bytes = 3 pages
        Assert.Equal(1, Count(db, 4));
        Assert.Equal(0x02, Flags(db, 7)); // the small ones: (4096 - 16) / (16 + 4 + 20) = 102 per page
        Assert.Equal(102, Count(db, 7));
        Assert.Equal(98, Count(db, 8));
        Assert.Equal(0x01, Flags(db, 9)); // the bucket's branch page over its 4 leaves
        Assert.Equal(4, Count(db, 9));
    }

    [Fact]
    public void Refuses_KeysOutOfOrder_EmptyKeys_TwoOpenBuckets_AndTheSameBucketTwice()
    {
        var w = new BoltWriter(new MemoryStream());
        using (BoltWriter.BucketWriter b = w.CreateBucket("x"u8))
        {
            b.Put("b"u8, []);
            Assert.Throws<ArgumentException>(() => b.Put("a"u8, []));
            Assert.Throws<ArgumentException>(() => b.Put("b"u8, []));
            Assert.Throws<ArgumentException>(() => b.Put([], []));
            Assert.Throws<InvalidOperationException>(() => w.CreateBucket("y"u8));
            Assert.Throws<InvalidOperationException>(() => w.Finish());
        }
        Assert.Throws<ArgumentException>(() => w.CreateBucket("x"u8));
        Assert.Throws<ArgumentException>(() => new BoltWriter(new NonSeekable()));
    }

    private sealed class NonSeekable : MemoryStream
    {
        public override bool CanSeek => false;
    }
}
