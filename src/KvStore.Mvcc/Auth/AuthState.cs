using System.Buffers.Binary;
using Authpb;
using Google.Protobuf;

namespace KvStore.Mvcc.Auth;

/// <summary>
/// The data half of etcd's auth store (auth/store.go): the enabled flag, the auth revision, users and roles
/// by name, and each user's merged range permissions (etcd's rangePermCache, rebuilt on every change).
/// Deterministic and clock-free; not thread-safe: the engine's lock guards it.
/// </summary>
internal sealed class AuthState
{
    public const string RootUser = "root";
    public const string RootRole = "root";

    private readonly SortedDictionary<string, User> _users = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, Role> _roles = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UnifiedPermissions> _permCache = new(StringComparer.Ordinal);

    public bool Enabled { get; set; }

    /// <summary>etcd's auth revision: 1 for a new store, +1 for every change but AuthEnable.</summary>
    public ulong Revision { get; set; } = 1;

    public IEnumerable<User> Users => _users.Values;

    public IEnumerable<Role> Roles => _roles.Values;

    public User? GetUser(string name) => _users.GetValueOrDefault(name);

    public Role? GetRole(string name) => _roles.GetValueOrDefault(name);

    public void PutUser(User user) => _users[user.Name.ToStringUtf8()] = user;

    public void DeleteUser(string name) => _users.Remove(name);

    public void PutRole(Role role) => _roles[role.Name.ToStringUtf8()] = role;

    public void DeleteRole(string name) => _roles.Remove(name);

    public static bool HasRootRole(User user) => user.Roles.Contains(RootRole);

    /// <summary>etcd's refreshRangePermCache: merges every user's role permissions into read and write intervals.</summary>
    public void RefreshPermCache()
    {
        _permCache.Clear();
        foreach (User user in _users.Values)
        {
            var perms = new UnifiedPermissions();
            foreach (string roleName in user.Roles)
            {
                if (GetRole(roleName) is not { } role) continue;
                foreach (Permission p in role.KeyPermission)
                {
                    byte[] key = p.Key.ToByteArray();
                    byte[]? end;
                    if (p.RangeEnd.Length == 0) end = PointEnd(key); // a single key
                    else if (p.RangeEnd.Length == 1 && p.RangeEnd[0] == 0) end = null; // from key: to infinity
                    else end = p.RangeEnd.ToByteArray();
                    var ivl = new Interval(key, end);
                    if (p.PermType is Permission.Types.Type.Read or Permission.Types.Type.Readwrite) perms.Read.Add(ivl);
                    if (p.PermType is Permission.Types.Type.Write or Permission.Types.Type.Readwrite) perms.Write.Add(ivl);
                }
            }
            _permCache[user.Name.ToStringUtf8()] = perms;
        }
    }

    /// <summary>etcd's isRangeOpPermitted: a key is in one interval, a range is covered by the union of intervals.</summary>
    public bool IsRangeOpPermitted(string user, ReadOnlySpan<byte> key, ReadOnlySpan<byte> rangeEnd, bool write)
    {
        if (!_permCache.TryGetValue(user, out UnifiedPermissions? perms)) return false;
        List<Interval> intervals = write ? perms.Write : perms.Read;
        if (rangeEnd.Length == 0)
        {
            foreach (Interval i in intervals)
            {
                if (i.Contains(key)) return true;
            }
            return false;
        }
        byte[]? end = rangeEnd.Length == 1 && rangeEnd[0] == 0 ? null : rangeEnd.ToArray();
        return Covers(intervals, key.ToArray(), end);
    }

    /// <summary>True when the union of <paramref name="intervals"/> holds every key in [begin, end) (end null: infinity).</summary>
    private static bool Covers(List<Interval> intervals, byte[] begin, byte[]? end)
    {
        byte[] cursor = begin;
        bool progressed = true;
        while (progressed)
        {
            if (end is not null && cursor.AsSpan().SequenceCompareTo(end) >= 0) return true;
            progressed = false;
            byte[]? best = cursor;
            bool toInfinity = false;
            foreach (Interval i in intervals)
            {
                if (!i.Contains(cursor)) continue;
                if (i.End is null) { toInfinity = true; break; }
                if (i.End.AsSpan().SequenceCompareTo(best) > 0) { best = i.End; progressed = true; }
            }
            if (toInfinity) return true;
            cursor = best;
        }
        return false;
    }

    private static byte[] PointEnd(byte[] key)
    {
        var end = new byte[key.Length + 1];
        key.CopyTo(end, 0);
        return end;
    }

    /// <summary>The whole auth state as one record: enabled, revision, then length-prefixed users and roles.</summary>
    public byte[] Encode()
    {
        using var ms = new MemoryStream();
        Span<byte> b = stackalloc byte[8];
        ms.WriteByte(Enabled ? (byte)1 : (byte)0);
        BinaryPrimitives.WriteUInt64LittleEndian(b, Revision);
        ms.Write(b);
        WriteList(ms, _users.Values.Select(u => u.ToByteArray()).ToList());
        WriteList(ms, _roles.Values.Select(r => r.ToByteArray()).ToList());
        return ms.ToArray();
    }

    /// <summary>Replaces this state with one written by <see cref="Encode"/>.</summary>
    public void Decode(byte[] record)
    {
        _users.Clear();
        _roles.Clear();
        Enabled = record[0] == 1;
        Revision = BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(1));
        int offset = 9;
        foreach (byte[] u in ReadList(record, ref offset)) PutUser(User.Parser.ParseFrom(u));
        foreach (byte[] r in ReadList(record, ref offset)) PutRole(Role.Parser.ParseFrom(r));
        RefreshPermCache();
    }

    /// <summary>Back to a new store's state (auth disabled, revision 1, nobody).</summary>
    public void Reset()
    {
        _users.Clear();
        _roles.Clear();
        Enabled = false;
        Revision = 1;
        RefreshPermCache();
    }

    private static void WriteList(Stream s, List<byte[]> items)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(len, items.Count);
        s.Write(len);
        foreach (byte[] item in items)
        {
            BinaryPrimitives.WriteInt32LittleEndian(len, item.Length);
            s.Write(len);
            s.Write(item);
        }
    }

    private static List<byte[]> ReadList(byte[] record, ref int offset)
    {
        int count = BinaryPrimitives.ReadInt32LittleEndian(record.AsSpan(offset));
        offset += 4;
        var items = new List<byte[]>(count);
        for (int i = 0; i < count; i++)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(record.AsSpan(offset));
            offset += 4;
            items.Add(record.AsSpan(offset, length).ToArray());
            offset += length;
        }
        return items;
    }

    /// <summary>[Begin, End) of keys; End null is infinity (etcd's BytesAffineInterval with an empty end).</summary>
    private readonly record struct Interval(byte[] Begin, byte[]? End)
    {
        public bool Contains(ReadOnlySpan<byte> key) =>
            key.SequenceCompareTo(Begin) >= 0 && (End is null || key.SequenceCompareTo(End) < 0);
    }

    private sealed class UnifiedPermissions
    {
        public List<Interval> Read { get; } = [];
        public List<Interval> Write { get; } = [];
    }
}
