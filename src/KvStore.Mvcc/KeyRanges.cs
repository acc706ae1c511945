namespace KvStore.Mvcc;

/// <summary>etcd's key-range conventions on raw request bytes.</summary>
public static class KeyRanges
{
    /// <summary>
    /// Normalises a request's range_end: null for a single key (empty range_end), empty for "every key >= key"
    /// (range_end "\0"), else the exclusive end.
    /// </summary>
    public static byte[]? End(ReadOnlySpan<byte> rangeEnd)
    {
        if (rangeEnd.Length == 0) return null;
        if (rangeEnd.Length == 1 && rangeEnd[0] == 0) return [];
        return rangeEnd.ToArray();
    }

    /// <summary>Whether key falls in the range [start, end) (end null: equals start; end empty: >= start).</summary>
    public static bool Contains(ReadOnlySpan<byte> start, byte[]? end, ReadOnlySpan<byte> key)
    {
        if (end is null) return key.SequenceEqual(start);
        if (key.SequenceCompareTo(start) < 0) return false;
        return end.Length == 0 || key.SequenceCompareTo(end) < 0;
    }
}
