using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Authpb;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Bbolt;

namespace KvStore.Mvcc.Backup;

/// <summary>What <see cref="MvccStore.ExportState"/> hands out, in order: revisions, history, leases, auth.</summary>
public interface IStateVisitor
{
    /// <summary>First: the applied Raft index, the current revision and the compacted revision (-1: none).</summary>
    void Revisions(long consistentIndex, long currentRevision, long compactRevision);

    /// <summary>One history record in revision order: the mvccpb.KeyValue bytes (a tombstone's holds only the key).</summary>
    void KeyValue(long main, long sub, bool tombstone, ReadOnlySpan<byte> keyValue);

    /// <summary>One lease in id order: the leasepb.Lease bytes.</summary>
    void Lease(long id, ReadOnlySpan<byte> lease);

    /// <summary>Last: the auth store.</summary>
    void Auth(bool enabled, ulong revision, IReadOnlyList<User> users, IReadOnlyList<Role> roles);
}

/// <summary>A member as etcd's membership store keeps it in the backend's members bucket.</summary>
public sealed record BackupMember(ulong Id, string Name, IReadOnlyList<string> PeerUrls, IReadOnlyList<string> ClientUrls, bool IsLearner);

/// <summary>
/// The cluster state outside the engine that etcd keeps in its backend, and how the engine's consistent index maps
/// to the applied Raft index etcd stores as consistent_index (a member numbers commands within a Raft entry; null:
/// the same number).
/// </summary>
public sealed record BackupCluster(IReadOnlyList<BackupMember> Members, string ClusterVersion, IReadOnlyList<AlarmMember> Alarms,
    Func<long, long>? RaftIndexOf = null);

/// <summary>
/// Writes the engine's state as an etcd 3.4 backend (the bbolt file `etcdctl snapshot save` stores): buckets
/// alarm, auth (authEnabled, authRevision), authRoles, authUsers, cluster (clusterVersion), key (17-byte revision
/// keys main BE, '_', sub BE, plus 't' for tombstones; values mvccpb.KeyValue), lease (id BE -> leasepb.Lease),
/// members (hex id -> JSON), members_removed, meta (consistent_index BE; scheduledCompactRev and
/// finishedCompactRev as 17-byte revisions once compacted) - as mvcc/kvstore.go, lease/lessor.go, auth/store.go,
/// etcdserver/api/membership/store.go and etcdserver/api/v3alarm write them.
/// </summary>
public static class EtcdBackupWriter
{
    /// <summary>Writes the backend to <paramref name="output"/> (seekable); returns its size in bytes (a multiple of the page size).</summary>
    public static long Write(MvccStore store, BackupCluster cluster, Stream output)
    {
        var bolt = new BoltWriter(output);
        var state = new Visitor(bolt);
        store.ExportState(state); // the history goes straight to the key bucket's pages while the read lock is held
        state.CloseKeys();

        using (BoltWriter.BucketWriter meta = bolt.CreateBucket("meta"u8))
        {
            var ci = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(ci, cluster.RaftIndexOf?.Invoke(state.ConsistentIndex) ?? state.ConsistentIndex);
            meta.Put("consistent_index"u8, ci);
            if (state.CompactRevision > 0)
            {
                byte[] rev = RevisionKey(state.CompactRevision, 0, tombstone: false);
                meta.Put("finishedCompactRev"u8, rev);
                meta.Put("scheduledCompactRev"u8, rev);
            }
        }

        using (BoltWriter.BucketWriter lease = bolt.CreateBucket("lease"u8))
        {
            foreach ((byte[] id, byte[] value) in state.Leases.OrderBy(l => l.Id, BytewiseComparer)) lease.Put(id, value);
        }

        using (BoltWriter.BucketWriter auth = bolt.CreateBucket("auth"u8))
        {
            auth.Put("authEnabled"u8, [state.AuthEnabled ? (byte)1 : (byte)0]);
            var rev = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(rev, state.AuthRevision);
            auth.Put("authRevision"u8, rev);
        }
        using (BoltWriter.BucketWriter users = bolt.CreateBucket("authUsers"u8))
        {
            foreach (User u in state.Users.OrderBy(u => u.Name.ToByteArray(), BytewiseComparer)) users.Put(u.Name.Span, u.ToByteArray());
        }
        using (BoltWriter.BucketWriter roles = bolt.CreateBucket("authRoles"u8))
        {
            foreach (Role r in state.Roles.OrderBy(r => r.Name.ToByteArray(), BytewiseComparer)) roles.Put(r.Name.Span, r.ToByteArray());
        }

        using (BoltWriter.BucketWriter alarms = bolt.CreateBucket("alarm"u8))
        {
            IEnumerable<byte[]> keys = cluster.Alarms.Select(a => a.ToByteArray()).Distinct(ByteArrayComparer.Instance);
            foreach (byte[] a in keys.OrderBy(a => a, BytewiseComparer)) alarms.Put(a, []);
        }
        using (BoltWriter.BucketWriter members = bolt.CreateBucket("members"u8))
        {
            foreach (BackupMember m in cluster.Members.OrderBy(m => Encoding.ASCII.GetBytes(m.Id.ToString("x")), BytewiseComparer))
            {
                members.Put(Encoding.ASCII.GetBytes(m.Id.ToString("x")), MemberJson(m));
            }
        }
        using (bolt.CreateBucket("members_removed"u8))
        {
            // kvstore keeps no record of removed member ids
        }
        using (BoltWriter.BucketWriter c = bolt.CreateBucket("cluster"u8))
        {
            c.Put("clusterVersion"u8, Encoding.ASCII.GetBytes(cluster.ClusterVersion));
        }
        return bolt.Finish();
    }

    /// <summary>etcd's revToBytes: main BE, '_', sub BE, then 't' for a tombstone (markTombstone).</summary>
    public static byte[] RevisionKey(long main, long sub, bool tombstone)
    {
        var key = new byte[tombstone ? 18 : 17];
        BinaryPrimitives.WriteInt64BigEndian(key, main);
        key[8] = (byte)'_';
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(9), sub);
        if (tombstone) key[17] = (byte)'t';
        return key;
    }

    /// <summary>Go's json.Marshal of membership.Member: id, peerURLs, isLearner (omitempty), name (omitempty), clientURLs (omitempty).</summary>
    private static byte[] MemberJson(BackupMember m)
    {
        using var ms = new MemoryStream();
        using (var json = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Default }))
        {
            json.WriteStartObject();
            json.WriteNumber("id", m.Id);
            json.WriteStartArray("peerURLs");
            foreach (string u in m.PeerUrls) json.WriteStringValue(u);
            json.WriteEndArray();
            if (m.IsLearner) json.WriteBoolean("isLearner", true);
            if (m.Name.Length > 0) json.WriteString("name", m.Name);
            if (m.ClientUrls.Count > 0)
            {
                json.WriteStartArray("clientURLs");
                foreach (string u in m.ClientUrls) json.WriteStringValue(u);
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        return ms.ToArray();
    }

    private static readonly IComparer<byte[]> BytewiseComparer = Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y));

    private sealed class Visitor(BoltWriter bolt) : IStateVisitor
    {
        private BoltWriter.BucketWriter? _keys;

        public long ConsistentIndex { get; private set; }
        public long CompactRevision { get; private set; }
        public List<(byte[] Id, byte[] Value)> Leases { get; } = [];
        public bool AuthEnabled { get; private set; }
        public ulong AuthRevision { get; private set; }
        public IReadOnlyList<User> Users { get; private set; } = [];
        public IReadOnlyList<Role> Roles { get; private set; } = [];

        public void Revisions(long consistentIndex, long currentRevision, long compactRevision)
        {
            ConsistentIndex = consistentIndex;
            CompactRevision = compactRevision;
            _keys = bolt.CreateBucket("key"u8);
        }

        public void KeyValue(long main, long sub, bool tombstone, ReadOnlySpan<byte> keyValue) =>
            _keys!.Put(RevisionKey(main, sub, tombstone), keyValue);

        public void Lease(long id, ReadOnlySpan<byte> lease)
        {
            var key = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(key, id);
            Leases.Add((key, lease.ToArray()));
        }

        public void Auth(bool enabled, ulong revision, IReadOnlyList<User> users, IReadOnlyList<Role> roles)
        {
            AuthEnabled = enabled;
            AuthRevision = revision;
            Users = users;
            Roles = roles;
        }

        public void CloseKeys() => (_keys ?? throw new InvalidOperationException("the store handed out no revisions")).Dispose();
    }
}
