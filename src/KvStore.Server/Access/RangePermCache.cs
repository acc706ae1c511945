using Authpb;

namespace KvStore.Server.Access;

/// <summary>
/// etcd's rangePermCache (auth/range_perm_cache.go): every user's role permissions merged into read and write
/// intervals, built once per auth change and only read afterwards. Tested by AuthTests.Permissions_FollowEtcdRangeRules.
/// </summary>
internal sealed class RangePermCache
{
    private readonly Dictionary<string, UnifiedPermissions> _users = new(StringComparer.Ordinal);

    /// <summary>etcd's refreshRangePermCache: the permissions of <paramref name="users"/>' roles.</summary>
    public RangePermCache(IEnumerable<User> users, Func<string, Role?> roleOf)
    {
        foreach (User user in users)
        {
            var perms = new UnifiedPermissions();
            foreach (string roleName in user.Roles)
            {
                if (roleOf(roleName) is not { } role) continue;
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
            _users[user.Name.ToStringUtf8()] = perms;
        }
    }

    /// <summary>etcd's isRangeOpPermitted: a key is in one interval, a range is covered by the union of intervals.</summary>
    public bool IsRangeOpPermitted(string user, ReadOnlySpan<byte> key, ReadOnlySpan<byte> rangeEnd, bool write)
    {
        if (!_users.TryGetValue(user, out UnifiedPermissions? perms)) return false;
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
