using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using static KvStore.Bbolt.BoltFormat;

namespace KvStore.Bbolt;

/// <summary>A bucket in a bbolt file: its root page, or (inline bucket, root page 0) the leaf page held in its value.</summary>
public readonly record struct BoltBucket(ulong RootPage, byte[]? InlinePage);

/// <summary>One key of a bucket in key order: a value, or (<see cref="IsBucket"/>) a nested bucket's header.</summary>
public readonly record struct BoltEntry(byte[] Key, byte[] Value, bool IsBucket);

/// <summary>
/// Reads a bbolt database file (the file etcd's backend keeps and its Snapshot RPC streams) read-only, page by
/// page, as bbolt lays it out (page.go, bucket.go, db.go): two meta pages, the one with the higher transaction id
/// that validates wins; branch and leaf pages with overflow; nested and inline buckets; the freelist. Integers are
/// little-endian (bbolt writes its host's order; etcd runs on little-endian machines). Nothing is ever written.
/// </summary>
public sealed class BoltReader : IDisposable
{
    private const int MetaSize = 64;
    private const ulong NoFreelist = ulong.MaxValue;

    private readonly SafeFileHandle _file;
    private readonly long _fileLength;

    private BoltReader(SafeFileHandle file, long fileLength, int pageSize, Meta meta)
    {
        _file = file;
        _fileLength = fileLength;
        PageSize = pageSize;
        _meta = meta;
    }

    private readonly Meta _meta;

    private readonly record struct Meta(uint PageSize, ulong Root, ulong Freelist, ulong HighWaterMark, ulong TxId);

    public int PageSize { get; }

    /// <summary>The transaction id of the meta page in use.</summary>
    public ulong TxId => _meta.TxId;

    /// <summary>bbolt's Tx.Size: the high-water mark of pages times the page size.</summary>
    public long Size => (long)_meta.HighWaterMark * PageSize;

    /// <summary>The root bucket (whose keys are the top-level buckets).</summary>
    public BoltBucket Root => new(_meta.Root, null);

    /// <summary>
    /// Opens <paramref name="path"/> as bbolt's Open does read-only: the page size from meta page 0 (or 4096 when
    /// it does not validate), then the newest valid meta page. Errors carry bbolt's messages ("file size too
    /// small", "invalid database", "version mismatch", "checksum error") in an <see cref="InvalidDataException"/>.
    /// </summary>
    public static BoltReader Open(string path)
    {
        SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        try
        {
            long length = RandomAccess.GetLength(file);
            var first = new byte[Math.Min(length, 0x1000)];
            RandomAccess.Read(file, first, 0);
            int pageSize = 4096;
            if (first.Length >= PageHeaderSize + MetaSize && ValidateMeta(first, out Meta m0) is null) pageSize = (int)m0.PageSize;
            if (length < pageSize * 2L) throw new InvalidDataException("file size too small");
            var page0 = new byte[pageSize];
            var page1 = new byte[pageSize];
            RandomAccess.Read(file, page0, 0);
            RandomAccess.Read(file, page1, pageSize);
            string? err0 = ValidateMeta(page0, out Meta meta0);
            string? err1 = ValidateMeta(page1, out Meta meta1);
            if (err0 is not null && err1 is not null) throw new InvalidDataException(err0);
            // db.meta(): the higher txid first, the other when it does not validate.
            Meta meta = (err0, err1) switch
            {
                (null, null) => meta1.TxId > meta0.TxId ? meta1 : meta0,
                (null, _) => meta0,
                _ => meta1,
            };
            return new BoltReader(file, length, pageSize, meta);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static string? ValidateMeta(ReadOnlySpan<byte> page, out Meta meta)
    {
        ReadOnlySpan<byte> m = page.Slice(PageHeaderSize, MetaSize);
        meta = new Meta(
            BinaryPrimitives.ReadUInt32LittleEndian(m[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(m[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(m[32..]),
            BinaryPrimitives.ReadUInt64LittleEndian(m[40..]),
            BinaryPrimitives.ReadUInt64LittleEndian(m[48..]));
        if (BinaryPrimitives.ReadUInt32LittleEndian(m) != Magic) return "invalid database";
        if (BinaryPrimitives.ReadUInt32LittleEndian(m[4..]) != BoltFormat.Version) return "version mismatch";
        if (BinaryPrimitives.ReadUInt64LittleEndian(m[56..]) != Fnv1a64(m[..56])) return "checksum error";
        return null;
    }

    /// <summary>The page with id <paramref name="id"/> and its overflow pages, as one buffer.</summary>
    private byte[] ReadPage(ulong id)
    {
        long offset = checked((long)id * PageSize);
        if (offset + PageHeaderSize > _fileLength) throw new InvalidDataException($"page {id}: beyond the end of the file");
        var header = new byte[PageHeaderSize];
        RandomAccess.Read(_file, header, offset);
        uint overflow = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(12));
        long size = (overflow + 1L) * PageSize;
        size = Math.Min(size, _fileLength - offset);
        var page = new byte[size];
        int read = RandomAccess.Read(_file, page, offset);
        if (read != size) throw new InvalidDataException($"page {id}: short read");
        return page;
    }

    private static ushort Flags(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt16LittleEndian(page[8..]);

    private static int Count(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt16LittleEndian(page[10..]);

    private static uint Overflow(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt32LittleEndian(page[12..]);

    /// <summary>The keys of <paramref name="bucket"/> in key order (bbolt's Cursor First/Next).</summary>
    public IEnumerable<BoltEntry> Entries(BoltBucket bucket)
    {
        if (bucket.InlinePage is { } inline)
        {
            foreach (BoltEntry e in LeafEntries(inline)) yield return e;
            yield break;
        }
        if (bucket.RootPage == 0) yield break;
        var stack = new Stack<ulong>();
        stack.Push(bucket.RootPage);
        while (stack.Count > 0)
        {
            byte[] page = ReadPage(stack.Pop());
            ushort flags = Flags(page);
            if (flags == LeafPageFlag)
            {
                foreach (BoltEntry e in LeafEntries(page)) yield return e;
            }
            else if (flags == BranchPageFlag)
            {
                // Children pushed last first so the first child is read first.
                int count = Count(page);
                for (int i = count - 1; i >= 0; i--) stack.Push(BranchChild(page, i));
            }
            else
            {
                throw new InvalidDataException($"page {BinaryPrimitives.ReadUInt64LittleEndian(page)}: invalid type: {TypeName(flags)}");
            }
        }
    }

    private static ulong BranchChild(ReadOnlySpan<byte> page, int i) =>
        BinaryPrimitives.ReadUInt64LittleEndian(page[(PageHeaderSize + i * ElementSize + 8)..]);

    private static byte[] BranchKey(ReadOnlySpan<byte> page, int i)
    {
        int element = PageHeaderSize + i * ElementSize;
        int pos = (int)BinaryPrimitives.ReadUInt32LittleEndian(page[element..]);
        int ksize = (int)BinaryPrimitives.ReadUInt32LittleEndian(page[(element + 4)..]);
        return page.Slice(element + pos, ksize).ToArray();
    }

    private static List<BoltEntry> LeafEntries(byte[] page)
    {
        int count = Count(page);
        var entries = new List<BoltEntry>(count);
        for (int i = 0; i < count; i++)
        {
            int element = PageHeaderSize + i * ElementSize;
            ReadOnlySpan<byte> e = page.AsSpan(element, ElementSize);
            uint flags = BinaryPrimitives.ReadUInt32LittleEndian(e);
            int pos = (int)BinaryPrimitives.ReadUInt32LittleEndian(e[4..]);
            int ksize = (int)BinaryPrimitives.ReadUInt32LittleEndian(e[8..]);
            int vsize = (int)BinaryPrimitives.ReadUInt32LittleEndian(e[12..]);
            long start = (long)element + pos;
            if (start + ksize + (long)vsize > page.Length) throw new InvalidDataException("leaf element beyond its page");
            entries.Add(new BoltEntry(
                page.AsSpan((int)start, ksize).ToArray(),
                page.AsSpan((int)start + ksize, vsize).ToArray(),
                (flags & BucketLeafFlag) != 0));
        }
        return entries;
    }

    /// <summary>The nested bucket <paramref name="name"/> of <paramref name="parent"/>, or null (bbolt's Tx.Bucket/Bucket.Bucket).</summary>
    public BoltBucket? Bucket(BoltBucket parent, ReadOnlySpan<byte> name)
    {
        foreach (BoltEntry e in Entries(parent))
        {
            int order = e.Key.AsSpan().SequenceCompareTo(name);
            if (order == 0) return e.IsBucket ? OpenBucket(e.Value) : null;
            if (order > 0) break;
        }
        return null;
    }

    /// <summary>A bucket from its header (the value of a bucket key): root page and sequence, then the inline page when root is 0.</summary>
    public static BoltBucket OpenBucket(byte[] value)
    {
        if (value.Length < 16) throw new InvalidDataException("bucket header too short");
        ulong root = BinaryPrimitives.ReadUInt64LittleEndian(value);
        return root == 0 ? new BoltBucket(0, value[16..]) : new BoltBucket(root, null);
    }

    /// <summary>
    /// bbolt's Tx.Check: every page below the high-water mark is either reachable (meta, freelist, the pages of
    /// every bucket) or free, none twice, none out of bounds, bucket pages branch or leaf, and keys in order.
    /// Returns the errors found with bbolt's messages (none for a sound file).
    /// </summary>
    public List<string> Check()
    {
        var errors = new List<string>();
        ulong hwm = _meta.HighWaterMark;
        var freed = new HashSet<ulong>();
        var reachable = new HashSet<ulong> { 0, 1 };
        bool freelistSynced = _meta.Freelist != NoFreelist;
        if (freelistSynced)
        {
            if (_meta.Freelist >= hwm)
            {
                errors.Add($"page {_meta.Freelist}: out of bounds: {hwm}");
            }
            else
            {
                byte[] fl = ReadPage(_meta.Freelist);
                if (Flags(fl) != FreelistPageFlag) errors.Add($"page {_meta.Freelist}: invalid type: {TypeName(Flags(fl))}");
                for (uint i = 0; i <= Overflow(fl); i++) reachable.Add(_meta.Freelist + i);
                foreach (ulong id in FreelistIds(fl))
                {
                    if (!freed.Add(id)) errors.Add($"page {id}: already freed");
                }
            }
        }
        CheckBucket(Root, hwm, reachable, freed, errors);
        if (freelistSynced)
        {
            for (ulong i = 0; i < hwm; i++)
            {
                if (!reachable.Contains(i) && !freed.Contains(i)) errors.Add($"page {i}: unreachable unfreed");
            }
        }
        return errors;
    }

    private static IEnumerable<ulong> FreelistIds(byte[] page)
    {
        int index = 0;
        long count = Count(page);
        if (count == 0xFFFF)
        {
            count = (long)BinaryPrimitives.ReadUInt64LittleEndian(page.AsSpan(PageHeaderSize));
            index = 1;
        }
        for (long i = 0; i < count; i++)
        {
            int at = PageHeaderSize + (int)((index + i) * 8);
            if (at + 8 > page.Length) throw new InvalidDataException("freelist beyond its page");
            yield return BinaryPrimitives.ReadUInt64LittleEndian(page.AsSpan(at));
        }
    }

    private void CheckBucket(BoltBucket bucket, ulong hwm, HashSet<ulong> reachable, HashSet<ulong> freed, List<string> errors)
    {
        var nested = new List<BoltBucket>();
        if (bucket.InlinePage is { } inline)
        {
            CheckLeaf(inline, nested, errors);
        }
        else if (bucket.RootPage != 0)
        {
            var stack = new Stack<ulong>();
            stack.Push(bucket.RootPage);
            while (stack.Count > 0)
            {
                ulong id = stack.Pop();
                if (id >= hwm)
                {
                    errors.Add($"page {id}: out of bounds: {hwm}");
                    continue;
                }
                byte[] page = ReadPage(id);
                for (uint i = 0; i <= Overflow(page); i++)
                {
                    ulong p = id + i;
                    if (!reachable.Add(p)) errors.Add($"page {p}: multiple references");
                    if (freed.Contains(p)) errors.Add($"page {p}: reachable freed");
                }
                ushort flags = Flags(page);
                if (flags == BranchPageFlag)
                {
                    int count = Count(page);
                    for (int i = 1; i < count; i++)
                    {
                        if (BranchKey(page, i - 1).AsSpan().SequenceCompareTo(BranchKey(page, i)) >= 0)
                        {
                            errors.Add($"page {id}: keys out of order at element {i}");
                        }
                    }
                    for (int i = count - 1; i >= 0; i--) stack.Push(BranchChild(page, i));
                }
                else if (flags == LeafPageFlag)
                {
                    CheckLeaf(page, nested, errors);
                }
                else
                {
                    errors.Add($"page {id}: invalid type: {TypeName(flags)}");
                }
            }
        }
        foreach (BoltBucket child in nested) CheckBucket(child, hwm, reachable, freed, errors);
    }

    private static void CheckLeaf(byte[] page, List<BoltBucket> nested, List<string> errors)
    {
        List<BoltEntry> entries;
        try
        {
            entries = LeafEntries(page);
        }
        catch (InvalidDataException e)
        {
            errors.Add($"page {BinaryPrimitives.ReadUInt64LittleEndian(page)}: {e.Message}");
            return;
        }
        for (int i = 0; i < entries.Count; i++)
        {
            if (i > 0 && entries[i - 1].Key.AsSpan().SequenceCompareTo(entries[i].Key) >= 0)
            {
                errors.Add($"page {BinaryPrimitives.ReadUInt64LittleEndian(page)}: keys out of order at element {i}");
            }
            if (entries[i].IsBucket) nested.Add(OpenBucket(entries[i].Value));
        }
    }

    private static string TypeName(ushort flags) => flags switch
    {
        BranchPageFlag => "branch",
        LeafPageFlag => "leaf",
        MetaPageFlag => "meta",
        FreelistPageFlag => "freelist",
        _ => $"unknown<{flags:x2}>",
    };

    public void Dispose() => _file.Dispose();
}
