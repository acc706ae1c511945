using Etcdserverpb;
using KvStore.Server.Apply;

namespace KvStore.Server;

public sealed partial class EtcdServer
{
    /// <summary>The replicated alarm list (<see cref="AlarmStore"/>).</summary>
    private readonly AlarmStore _alarms = new();

    /// <summary>The propose path's quota check (<see cref="Quota"/>); assigned by the constructor.</summary>
    private readonly Quota _quota;

    private readonly Lock _standbyLock = new();
    private Task _diskStandby = Task.CompletedTask;

    public IReadOnlyList<AlarmMember> Alarms => _alarms.List();

    /// <summary>Status's errors: each alarm as etcd's AlarmMember.String() prints it ("memberID:123 alarm:NOSPACE ").</summary>
    public IReadOnlyList<string> StatusErrors =>
        Alarms.Select(a => $"memberID:{a.MemberID} alarm:{a.Alarm.ToString().ToUpperInvariant()} ").ToList();

    /// <summary>A request etcd's quota charges for (<see cref="Quota.Cost"/> above 0): refused when the quota is used up.</summary>
    private static bool IsWrite(InternalRaftRequest r) => Quota.IsWrite(r);

    /// <summary>Room for <paramref name="request"/> under the quota; if not, NOSPACE is raised (<see cref="Quota.Available"/>).</summary>
    private bool QuotaAvailable(InternalRaftRequest request) => _quota.Available(request);

    private Quota NewQuota() => new(_alarms, () => DbSizeBytes, Config.EffectiveQuotaBytes, _diskRoom.HasRoom, RaiseNoSpaceAsync, RequestTimeout);

    /// <summary>etcd's quotaAlarmer: this member's NOSPACE alarm, proposed through the log.</summary>
    private Task RaiseNoSpaceAsync() =>
        ProposeAsync(new InternalRaftRequest
        {
            Alarm = new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Activate, MemberID = MemberId, Alarm = AlarmType.Nospace },
        }, CancellationToken.None);

    /// <summary>Room on the data dir's disks for <paramref name="bytes"/> beyond the reserve (<see cref="DataDir.DiskRoom.HasRoomFor"/>).</summary>
    internal bool HasDiskRoomFor(long bytes, out long free) => _diskRoom.HasRoomFor(bytes, out free);

    /// <summary>
    /// A member whose disk is full stands by (steps down if it leads, never stands for election) so that one of the
    /// others leads and the cluster takes writes; as a follower it refuses entries (RaftLog.HasRoom) until space
    /// returns, then stands by no more. A single member keeps leading (it only refuses writes). Tested by
    /// DiskFullTests.FullLeaderStepsDownTheOthersGoOnAndItCatchesUpWhenSpaceReturns (KvStore.Cluster.Tests).
    /// </summary>
    private void OnDiskRoomChanged(bool room)
    {
        if (_cluster.Members.Count < 2) return;
        lock (_standbyLock)
        {
            _diskStandby = _diskStandby.ContinueWith(async _ =>
            {
                try
                {
                    if (room) await _cluster.RevertToNormalModeAsync(CancellationToken.None).ConfigureAwait(false);
                    else await _cluster.EnableStandbyModeAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // stopping: nothing to change
                }
            }, TaskScheduler.Default).Unwrap();
        }
    }
}
