namespace KvStore.Mvcc.Index;

/// <summary>
/// An ordered map from byte-string keys to <see cref="KeyIndex"/> entries: a B+ tree whose leaves are linked
/// for in-order scans from any lower bound. Removal leaves nodes under-full (no merging); separators stay valid
/// bounds, and empty leaves are skipped by scans. Not thread-safe: the store's lock guards it.
/// </summary>
internal sealed class BPlusTree
{
    private const int Order = 64;

    private abstract class Node
    {
        public int Count;
    }

    private sealed class Leaf : Node
    {
        public readonly KeyIndex[] Items = new KeyIndex[Order];
        public Leaf? Next;
    }

    private sealed class Inner : Node
    {
        // Children[i] holds keys < Keys[i]; Children[Count] holds the rest. Count = number of separators.
        public readonly byte[][] Keys = new byte[Order][];
        public readonly Node[] Children = new Node[Order + 1];
    }

    private Node _root = new Leaf();

    public int Count { get; private set; }

    private static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceCompareTo(b);

    /// <summary>Index of the first item in the leaf with key >= key.</summary>
    private static int LowerBound(Leaf leaf, ReadOnlySpan<byte> key)
    {
        int lo = 0, hi = leaf.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Compare(leaf.Items[mid].Key, key) < 0) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private static int ChildIndex(Inner inner, ReadOnlySpan<byte> key)
    {
        int lo = 0, hi = inner.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Compare(inner.Keys[mid], key) <= 0) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private Leaf FindLeaf(ReadOnlySpan<byte> key)
    {
        Node n = _root;
        while (n is Inner inner) n = inner.Children[ChildIndex(inner, key)];
        return (Leaf)n;
    }

    public KeyIndex? Get(ReadOnlySpan<byte> key)
    {
        Leaf leaf = FindLeaf(key);
        int i = LowerBound(leaf, key);
        return i < leaf.Count && Compare(leaf.Items[i].Key, key) == 0 ? leaf.Items[i] : null;
    }

    /// <summary>Returns the entry for key, creating an empty one (with its own copy of the key) when absent.</summary>
    public KeyIndex GetOrAdd(ReadOnlySpan<byte> key)
    {
        KeyIndex? existing = Get(key);
        if (existing is not null) return existing;
        var item = new KeyIndex(key.ToArray());
        (byte[] sep, Node right)? split = Insert(_root, item);
        if (split is { } s)
        {
            var root = new Inner { Count = 1 };
            root.Keys[0] = s.sep;
            root.Children[0] = _root;
            root.Children[1] = s.right;
            _root = root;
        }
        Count++;
        return item;
    }

    private static (byte[] sep, Node right)? Insert(Node node, KeyIndex item)
    {
        if (node is Leaf leaf)
        {
            int i = LowerBound(leaf, item.Key);
            if (leaf.Count < Order)
            {
                Array.Copy(leaf.Items, i, leaf.Items, i + 1, leaf.Count - i);
                leaf.Items[i] = item;
                leaf.Count++;
                return null;
            }
            var right = new Leaf { Next = leaf.Next };
            int half = Order / 2;
            Array.Copy(leaf.Items, half, right.Items, 0, Order - half);
            Array.Clear(leaf.Items, half, Order - half);
            leaf.Count = half;
            right.Count = Order - half;
            leaf.Next = right;
            if (i <= half) Insert(leaf, item); else Insert(right, item);
            return (right.Items[0].Key, right);
        }

        var inner = (Inner)node;
        int c = ChildIndex(inner, item.Key);
        (byte[] sep, Node right)? childSplit = Insert(inner.Children[c], item);
        if (childSplit is not { } cs) return null;
        if (inner.Count < Order)
        {
            InsertSeparator(inner, c, cs.sep, cs.right);
            return null;
        }
        // Split the inner node: the middle separator moves up.
        var newRight = new Inner();
        int mid = Order / 2;
        byte[] up = inner.Keys[mid];
        newRight.Count = inner.Count - mid - 1;
        Array.Copy(inner.Keys, mid + 1, newRight.Keys, 0, newRight.Count);
        Array.Copy(inner.Children, mid + 1, newRight.Children, 0, newRight.Count + 1);
        Array.Clear(inner.Keys, mid, inner.Count - mid);
        Array.Clear(inner.Children, mid + 1, inner.Count - mid);
        inner.Count = mid;
        if (c <= mid) InsertSeparator(inner, c, cs.sep, cs.right);
        else InsertSeparator(newRight, c - mid - 1, cs.sep, cs.right);
        return (up, newRight);
    }

    private static void InsertSeparator(Inner inner, int at, byte[] sep, Node right)
    {
        Array.Copy(inner.Keys, at, inner.Keys, at + 1, inner.Count - at);
        Array.Copy(inner.Children, at + 1, inner.Children, at + 2, inner.Count - at);
        inner.Keys[at] = sep;
        inner.Children[at + 1] = right;
        inner.Count++;
    }

    public void Clear()
    {
        _root = new Leaf();
        Count = 0;
    }

    public bool Remove(ReadOnlySpan<byte> key)
    {
        Leaf leaf = FindLeaf(key);
        int i = LowerBound(leaf, key);
        if (i >= leaf.Count || Compare(leaf.Items[i].Key, key) != 0) return false;
        Array.Copy(leaf.Items, i + 1, leaf.Items, i, leaf.Count - i - 1);
        leaf.Count--;
        leaf.Items[leaf.Count] = null!;
        Count--;
        return true;
    }

    /// <summary>
    /// Entries with key in [from, end) in key order; <paramref name="end"/> empty means no upper bound.
    /// </summary>
    public IEnumerable<KeyIndex> Scan(byte[] from, byte[] end)
    {
        Leaf? leaf = FindLeaf(from);
        int i = LowerBound(leaf, from);
        bool bounded = end.Length > 0;
        while (leaf is not null)
        {
            for (; i < leaf.Count; i++)
            {
                KeyIndex item = leaf.Items[i];
                if (bounded && Compare(item.Key, end) >= 0) yield break;
                yield return item;
            }
            leaf = leaf.Next;
            i = 0;
        }
    }
}
