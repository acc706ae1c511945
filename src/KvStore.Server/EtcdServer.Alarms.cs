using Etcdserverpb;

namespace KvStore.Server;

public sealed partial class EtcdServer
{
    private readonly Lock _alarmLock = new();
    private readonly List<AlarmMember> _alarms = [];
    private int _noSpaceRaising;

    private bool NoSpaceActive
    {
        get { lock (_alarmLock) return _alarms.Any(a => a.Alarm == AlarmType.Nospace); }
    }

    public IReadOnlyList<AlarmMember> Alarms
    {
        get { lock (_alarmLock) return _alarms.Select(a => a.Clone()).ToList(); }
    }

    /// <summary>Sets the alarm list from a Raft snapshot (alarms are member state outside the engine).</summary>
    internal void ReplaceAlarms(IEnumerable<AlarmMember> alarms)
    {
        lock (_alarmLock)
        {
            _alarms.Clear();
            _alarms.AddRange(alarms.Select(a => a.Clone()));
        }
    }

    public IReadOnlyList<string> StatusErrors =>
        Alarms.Select(a => a.Alarm == AlarmType.Nospace ? "NOSPACE" : a.Alarm.ToString().ToUpperInvariant()).Distinct().ToList();

    /// <summary>etcd's quota check: is there room for this request? If not, raise NOSPACE (once) through the log.</summary>
    private bool QuotaAvailable(InternalRaftRequest request)
    {
        if (NoSpaceActive) return false;
        if (DbSizeBytes + request.CalculateSize() <= Config.EffectiveQuotaBytes) return true;
        if (Interlocked.Exchange(ref _noSpaceRaising, 1) == 0)
        {
            var raise = new InternalRaftRequest
            {
                Alarm = new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Activate, MemberID = MemberId, Alarm = AlarmType.Nospace },
            };
            _ = ProposeAsync(raise, CancellationToken.None).ContinueWith(_ => Volatile.Write(ref _noSpaceRaising, 0), TaskScheduler.Default);
        }
        return false;
    }

    /// <summary>etcd's applierV3backend.Alarm: GET lists, ACTIVATE/DEACTIVATE change the replicated alarm list.</summary>
    private ProposeResult ApplyAlarm(long engineIndex, AlarmRequest request)
    {
        _store.MarkApplied(engineIndex);
        var resp = new AlarmResponse { Header = Header(_store.CurrentRevision) };
        lock (_alarmLock)
        {
            switch (request.Action)
            {
                case AlarmRequest.Types.AlarmAction.Get:
                    resp.Alarms.AddRange(_alarms.Where(a => request.Alarm == AlarmType.None || a.Alarm == request.Alarm).Select(a => a.Clone()));
                    break;
                case AlarmRequest.Types.AlarmAction.Activate:
                    if (request.Alarm == AlarmType.None) break;
                    var raised = new AlarmMember { MemberID = request.MemberID, Alarm = request.Alarm };
                    if (!_alarms.Any(a => a.MemberID == raised.MemberID && a.Alarm == raised.Alarm)) _alarms.Add(raised);
                    resp.Alarms.Add(raised.Clone());
                    break;
                case AlarmRequest.Types.AlarmAction.Deactivate:
                    AlarmMember? found = _alarms.FirstOrDefault(a => a.MemberID == request.MemberID && a.Alarm == request.Alarm);
                    if (found is null) break;
                    _alarms.Remove(found);
                    resp.Alarms.Add(found.Clone());
                    break;
            }
        }
        return new ProposeResult(resp);
    }
}
