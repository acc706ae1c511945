using Etcdserverpb;
using KvStore.Server.Apply;

namespace KvStore.Server;

public sealed partial class EtcdServer
{
    public IReadOnlyList<AlarmMember> Alarms => _alarms.List();

    /// <summary>Status's errors: each alarm as etcd's AlarmMember.String() prints it ("memberID:123 alarm:NOSPACE ").</summary>
    public IReadOnlyList<string> StatusErrors =>
        Alarms.Select(a => $"memberID:{a.MemberID} alarm:{a.Alarm.ToString().ToUpperInvariant()} ").ToList();

    private Quota NewQuota() => new(_alarms, () => DbSizeBytes, Config.EffectiveQuotaBytes, _diskRoom.HasRoom, RaiseNoSpaceAsync, RequestTimeout);

    /// <summary>etcd's quotaAlarmer: this member's NOSPACE alarm, proposed through the log.</summary>
    private Task RaiseNoSpaceAsync() =>
        ProposeAsync(new InternalRaftRequest
        {
            Alarm = new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Activate, MemberID = MemberId, Alarm = AlarmType.Nospace },
        }, CancellationToken.None);

    /// <summary>Room on the data dir's disks for <paramref name="bytes"/> beyond the reserve (<see cref="DataDir.DiskRoom.HasRoomFor"/>).</summary>
    internal bool HasDiskRoomFor(long bytes, out long free) => _diskRoom.HasRoomFor(bytes, out free);
}
