using System.Buffers.Binary;
using System.Text;
using Etcdserverpb;
using KvStore.Bbolt;

namespace KvStore.Mvcc.Backup;

/// <summary>
/// What an etcd member's backend (member/snap/db) says about the member rather than the keys: the Raft index of the
/// last entry applied to it (meta/consistent_index) and the alarms raised (the alarm bucket's keys are
/// etcdserverpb.AlarmMember). The keys, leases and auth store are read by <see cref="EtcdBackupReader"/>.
/// </summary>
public sealed record EtcdBackendMeta(ulong ConsistentIndex, IReadOnlyList<AlarmMember> Alarms)
{
    public static EtcdBackendMeta Read(string path)
    {
        using BoltReader bolt = BoltReader.Open(path);
        ulong consistentIndex = 0;
        if (bolt.Bucket(bolt.Root, "meta"u8) is { } meta)
        {
            foreach (BoltEntry e in bolt.Entries(meta))
            {
                if (e.Key.AsSpan().SequenceEqual("consistent_index"u8) && e.Value.Length == 8)
                {
                    consistentIndex = BinaryPrimitives.ReadUInt64BigEndian(e.Value);
                }
            }
        }
        var alarms = new List<AlarmMember>();
        if (bolt.Bucket(bolt.Root, Encoding.ASCII.GetBytes("alarm")) is { } alarm)
        {
            foreach (BoltEntry e in bolt.Entries(alarm)) alarms.Add(AlarmMember.Parser.ParseFrom(e.Key));
        }
        return new EtcdBackendMeta(consistentIndex, alarms);
    }
}
