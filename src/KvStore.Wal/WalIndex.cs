namespace KvStore.Wal;

/// <summary>
/// The in-memory index over [First, Last]: per entry its term, flags, where it lies on disk once written (segment,
/// offset, length) and, for the tail window, its payload and context. Id tells a slot from the one that replaced it.
/// Not thread-safe: the Wal facade holds its lock around every call.
/// </summary>
internal sealed class WalIndex
{
    private readonly List<Slot> _slots = [];

    /// <summary>One entry's slot.</summary>
    public struct Slot
    {
        public long Id;
        public long Term;
        public bool IsConfiguration;
        public WalSegment? Segment;
        public long Offset;
        public int Length;
        public ReadOnlyMemory<byte>? Payload;
        public object? Context;
    }

    /// <summary>The first index held; Last + 1 when empty.</summary>
    public long First { get; private set; } = 1;

    /// <summary>The last index held; First - 1 when empty.</summary>
    public long Last => First + _slots.Count - 1;

    /// <summary>The term of First - 1 (the snapshot or reset point), -1 when unknown.</summary>
    public long BaseTerm { get; private set; } = -1;

    /// <summary>The slot at <paramref name="index"/>, which lies in [First, Last].</summary>
    public ref Slot this[long index] => ref System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_slots)[(int)(index - First)];

    /// <summary>True when index lies in [First, Last].</summary>
    public bool Contains(long index) => index >= First && index <= Last;

    /// <summary>Adds the slot at Last + 1.</summary>
    public void Add(in Slot slot) => _slots.Add(slot);

    /// <summary>Drops [index, Last] (an overwrite from index); index lies in [First, Last + 1].</summary>
    public void TruncateFrom(long index) => _slots.RemoveRange((int)(index - First), (int)(Last - index + 1));

    /// <summary>Empties the index: the log continues after (index, term).</summary>
    public void Reset(long index, long term)
    {
        _slots.Clear();
        First = index + 1;
        BaseTerm = term;
    }

    /// <summary>Drops [First, index] (compaction); BaseTerm becomes the dropped last term.</summary>
    public void DropThrough(long index)
    {
        if (index < First) return;
        index = Math.Min(index, Last);
        BaseTerm = this[index].Term;
        _slots.RemoveRange(0, (int)(index - First + 1));
        First = index + 1;
    }
}
