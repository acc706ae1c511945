namespace KvStore.Bbolt;

/// <summary>
/// bbolt's on-disk constants (page.go, db.go, bucket.go), shared by <see cref="BoltReader"/> and
/// <see cref="BoltWriter"/>: the page header, element sizes, page and element flags, the meta page's magic,
/// version and checksum.
/// </summary>
internal static class BoltFormat
{
    public const uint Magic = 0xED0CDAED;
    public const uint Version = 2;
    public const int PageHeaderSize = 16;

    /// <summary>leafPageElement and branchPageElement are both 16 bytes.</summary>
    public const int ElementSize = 16;

    public const ushort BranchPageFlag = 0x01, LeafPageFlag = 0x02, MetaPageFlag = 0x04, FreelistPageFlag = 0x10;

    /// <summary>A leaf element whose value is a nested bucket's header.</summary>
    public const uint BucketLeafFlag = 0x01;

    /// <summary>bbolt's meta.sum64: FNV-1a 64 of the meta fields before the checksum (BoltWriterTests.Fnv1a64_IsBboltsMetaChecksum).</summary>
    public static ulong Fnv1a64(ReadOnlySpan<byte> data)
    {
        ulong h = 14695981039346656037UL;
        foreach (byte b in data)
        {
            h ^= b;
            h *= 1099511628211UL;
        }
        return h;
    }
}
