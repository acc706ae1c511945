using System.Buffers.Binary;
using static KvStore.Bbolt.BoltFormat;

namespace KvStore.Bbolt;

/// <summary>
/// Writes a bbolt database file (bbolt 1.3's on-disk format, page size 4096, little-endian as on amd64) from
/// top-level buckets whose keys arrive in ascending byte order. Layout: pages 0 and 1 are the meta pages, page 2
/// the (empty) freelist, then every bucket's pages as the bucket is written - leaf pages streamed to the output
/// as they fill, then the branch levels above them - and last the root bucket's tree, which maps each bucket
/// name to its root page. Every page below the high-water mark is reachable, so bbolt's Tx.Check finds no
/// unreachable or freed page. Pages are filled up to the page size; an element larger than a page gets a page of
/// its own with overflow pages. Buckets are never inlined (a bucket's root is always a page of its own).
/// </summary>
public sealed class BoltWriter
{
    public const int PageSize = 4096;
    private const long FirstDataPage = 3;

    private readonly Stream _out;
    private readonly long _origin;
    private readonly List<(byte[] Name, long Root)> _buckets = [];
    private long _nextPage = FirstDataPage;
    private BucketWriter? _open;
    private bool _finished;

    /// <summary><paramref name="output"/> must be seekable; the database is written from its current position.</summary>
    public BoltWriter(Stream output)
    {
        if (!output.CanSeek || !output.CanWrite) throw new ArgumentException("bolt output must be a writable, seekable stream", nameof(output));
        _out = output;
        _origin = output.Position;
        _out.Write(new byte[PageSize * FirstDataPage]); // meta 0, meta 1 and the freelist, written by Finish
    }

    /// <summary>Pages written so far, the three fixed pages included (the high-water mark once finished).</summary>
    public long PageCount => _nextPage;

    /// <summary>
    /// Starts a top-level bucket. Put its keys in ascending order, then dispose it before the next bucket.
    /// </summary>
    public BucketWriter CreateBucket(ReadOnlySpan<byte> name)
    {
        if (_finished) throw new InvalidOperationException("the bolt file is finished");
        if (_open is not null) throw new InvalidOperationException("a bucket is still open");
        if (name.IsEmpty) throw new ArgumentException("a bucket name cannot be empty", nameof(name));
        byte[] n = name.ToArray();
        if (_buckets.Any(b => b.Name.AsSpan().SequenceEqual(n)))
        {
            throw new ArgumentException($"bucket {System.Text.Encoding.UTF8.GetString(n)} written twice", nameof(name));
        }
        _open = new BucketWriter(this, n);
        return _open;
    }

    /// <summary>
    /// Writes the root bucket's tree, the freelist and both meta pages (meta 0 with <paramref name="txid"/>,
    /// meta 1 with txid - 1, as bbolt's Tx.WriteTo does), and leaves the stream at the end of the database.
    /// Returns the database size in bytes.
    /// </summary>
    public long Finish(ulong txid = 2)
    {
        if (_finished) throw new InvalidOperationException("the bolt file is finished");
        if (_open is not null) throw new InvalidOperationException("a bucket is still open");
        if (txid < 1) throw new ArgumentOutOfRangeException(nameof(txid));
        _finished = true;

        var root = new TreeWriter(this);
        Span<byte> header = stackalloc byte[16];
        foreach ((byte[] name, long rootPage) in _buckets.OrderBy(b => b.Name, Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y))))
        {
            BinaryPrimitives.WriteInt64LittleEndian(header, rootPage); // bucket.root
            BinaryPrimitives.WriteUInt64LittleEndian(header[8..], 0);  // bucket.sequence
            root.Add(name, header, BucketLeafFlag);
        }
        long rootPageId = root.Finish();
        long end = _nextPage;

        var page = new byte[PageSize];
        WritePageHeader(page, 2, FreelistPageFlag, 0, 0);
        WriteAt(2, page);
        for (long id = 0; id < 2; id++)
        {
            Array.Clear(page);
            WritePageHeader(page, id, MetaPageFlag, 0, 0);
            Span<byte> m = page.AsSpan(PageHeaderSize);
            BinaryPrimitives.WriteUInt32LittleEndian(m, Magic);
            BinaryPrimitives.WriteUInt32LittleEndian(m[4..], BoltFormat.Version);
            BinaryPrimitives.WriteUInt32LittleEndian(m[8..], PageSize);
            BinaryPrimitives.WriteUInt32LittleEndian(m[12..], 0);          // flags
            BinaryPrimitives.WriteInt64LittleEndian(m[16..], rootPageId);  // root bucket: root page
            BinaryPrimitives.WriteUInt64LittleEndian(m[24..], 0);          // root bucket: sequence
            BinaryPrimitives.WriteInt64LittleEndian(m[32..], 2);           // freelist page
            BinaryPrimitives.WriteInt64LittleEndian(m[40..], end);         // high-water mark
            BinaryPrimitives.WriteUInt64LittleEndian(m[48..], txid - (ulong)id);
            BinaryPrimitives.WriteUInt64LittleEndian(m[56..], Fnv1a64(m[..56]));
            WriteAt(id, page);
        }
        _out.Position = _origin + end * PageSize;
        _out.Flush();
        return end * PageSize;
    }

    private void WriteAt(long pageId, byte[] page)
    {
        long back = _out.Position;
        _out.Position = _origin + pageId * PageSize;
        _out.Write(page);
        _out.Position = back;
    }

    private static void WritePageHeader(Span<byte> page, long id, ushort flags, int count, int overflow)
    {
        BinaryPrimitives.WriteInt64LittleEndian(page, id);
        BinaryPrimitives.WriteUInt16LittleEndian(page[8..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(page[10..], checked((ushort)count));
        BinaryPrimitives.WriteUInt32LittleEndian(page[12..], checked((uint)overflow));
    }

    /// <summary>Writes one page (with its overflow pages) at the next free page id; returns that id.</summary>
    private long AppendPage(ushort flags, List<Element> elements, int size)
    {
        int pages = (size + PageSize - 1) / PageSize;
        var buffer = new byte[pages * PageSize];
        long id = _nextPage;
        WritePageHeader(buffer, id, flags, elements.Count, pages - 1);
        int data = PageHeaderSize + elements.Count * ElementSize;
        bool leaf = flags == LeafPageFlag;
        for (int i = 0; i < elements.Count; i++)
        {
            Element e = elements[i];
            Span<byte> el = buffer.AsSpan(PageHeaderSize + i * ElementSize, ElementSize);
            int pos = data - (PageHeaderSize + i * ElementSize); // relative to the element header
            if (leaf)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(el, e.Flags);
                BinaryPrimitives.WriteUInt32LittleEndian(el[4..], (uint)pos);
                BinaryPrimitives.WriteUInt32LittleEndian(el[8..], (uint)e.Key.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(el[12..], (uint)e.Value.Length);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(el, (uint)pos);
                BinaryPrimitives.WriteUInt32LittleEndian(el[4..], (uint)e.Key.Length);
                BinaryPrimitives.WriteInt64LittleEndian(el[8..], e.Child);
            }
            e.Key.CopyTo(buffer, data);
            data += e.Key.Length;
            if (leaf)
            {
                e.Value.CopyTo(buffer, data);
                data += e.Value.Length;
            }
        }
        _out.Write(buffer);
        _nextPage += pages;
        return id;
    }

    private readonly record struct Element(byte[] Key, byte[] Value, uint Flags, long Child);

    /// <summary>
    /// Builds one B+tree bottom-up from keys in ascending order: leaves are written as soon as they are full; the
    /// first key and page id of each page are kept for the level above, built when the tree is finished.
    /// </summary>
    private sealed class TreeWriter(BoltWriter writer)
    {
        private readonly List<Element> _leaf = [];
        private int _leafSize = PageHeaderSize;
        private readonly List<Element> _children = []; // (first key, page id) of every written leaf
        private byte[]? _last;

        public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, uint flags)
        {
            if (key.IsEmpty) throw new ArgumentException("bolt keys cannot be empty", nameof(key));
            if (_last is not null && key.SequenceCompareTo(_last) <= 0)
            {
                throw new ArgumentException("bolt keys must be added in ascending order, without duplicates", nameof(key));
            }
            int size = ElementSize + key.Length + value.Length;
            if (_leaf.Count > 0 && _leafSize + size > PageSize) FlushLeaf();
            var e = new Element(key.ToArray(), value.ToArray(), flags, 0);
            _last = e.Key;
            _leaf.Add(e);
            _leafSize += size;
        }

        private void FlushLeaf()
        {
            long id = writer.AppendPage(LeafPageFlag, _leaf, _leafSize);
            _children.Add(new Element(_leaf.Count > 0 ? _leaf[0].Key : [], [], 0, id));
            _leaf.Clear();
            _leafSize = PageHeaderSize;
        }

        /// <summary>Writes what is left and the branch levels; returns the root page id.</summary>
        public long Finish()
        {
            if (_leaf.Count > 0 || _children.Count == 0) FlushLeaf(); // an empty tree is one empty leaf
            List<Element> level = _children;
            while (level.Count > 1)
            {
                var above = new List<Element>();
                var page = new List<Element>();
                int size = PageHeaderSize;
                foreach (Element child in level)
                {
                    int esize = ElementSize + child.Key.Length;
                    if (page.Count > 0 && size + esize > PageSize)
                    {
                        above.Add(new Element(page[0].Key, [], 0, writer.AppendPage(BranchPageFlag, page, size)));
                        page = [];
                        size = PageHeaderSize;
                    }
                    page.Add(child);
                    size += esize;
                }
                above.Add(new Element(page[0].Key, [], 0, writer.AppendPage(BranchPageFlag, page, size)));
                level = above;
            }
            return level[0].Child;
        }
    }

    /// <summary>One top-level bucket being written. Keys must be put in ascending byte order.</summary>
    public sealed class BucketWriter : IDisposable
    {
        private readonly BoltWriter _writer;
        private readonly byte[] _name;
        private readonly TreeWriter _tree;
        private bool _done;

        internal BucketWriter(BoltWriter writer, byte[] name)
        {
            _writer = writer;
            _name = name;
            _tree = new TreeWriter(writer);
        }

        public long Count { get; private set; }

        public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            if (_done) throw new InvalidOperationException("the bucket is closed");
            _tree.Add(key, value, 0);
            Count++;
        }

        /// <summary>Writes the bucket's last leaf and its branch pages.</summary>
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            long root = _tree.Finish();
            _writer._buckets.Add((_name, root));
            _writer._open = null;
        }
    }
}
