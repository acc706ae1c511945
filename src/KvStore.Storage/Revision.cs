using System.Buffers.Binary;
using FASTER.core;

namespace KvStore.Storage;

/// <summary>
/// A point in the store's history: the main revision of a write transaction and the sub revision of one
/// change inside it (etcd's <c>revision{main, sub}</c>). It is the key of every record in FASTER. Negative main
/// revisions name records that are not key-value history (leases, store metadata).
/// </summary>
public readonly record struct Revision(long Main, long Sub) : IComparable<Revision>
{
    /// <summary>Size of <see cref="WriteTo"/>'s encoding: big-endian main, then sub, so byte order is revision order.</summary>
    public const int EncodedSize = 16;

    public int CompareTo(Revision other)
    {
        int c = Main.CompareTo(other.Main);
        return c != 0 ? c : Sub.CompareTo(other.Sub);
    }

    public static bool operator <(Revision a, Revision b) => a.CompareTo(b) < 0;
    public static bool operator >(Revision a, Revision b) => a.CompareTo(b) > 0;
    public static bool operator <=(Revision a, Revision b) => a.CompareTo(b) <= 0;
    public static bool operator >=(Revision a, Revision b) => a.CompareTo(b) >= 0;

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteInt64BigEndian(destination, Main);
        BinaryPrimitives.WriteInt64BigEndian(destination[8..], Sub);
    }

    public override string ToString() => $"{Main}_{Sub}";
}

/// <summary>FASTER's hash and equality for <see cref="Revision"/> keys.</summary>
internal sealed class RevisionComparer : IFasterEqualityComparer<Revision>
{
    public static readonly RevisionComparer Instance = new();

    public bool Equals(ref Revision k1, ref Revision k2) => k1.Main == k2.Main && k1.Sub == k2.Sub;

    public long GetHashCode64(ref Revision k) =>
        Utility.GetHashCode(k.Main) ^ Utility.GetHashCode(unchecked(k.Sub * (long)0x9E3779B97F4A7C15UL));
}
