using Etcdserverpb;

namespace KvStore.Server.Apply;

/// <summary>
/// etcd's alarm store: the member-replicated alarm list, changed by applied Alarm commands and replaced by a Raft
/// snapshot. NOSPACE is kept as a flag the apply and propose paths read without the lock. Tested by
/// MaintenanceServiceTests (activate, get, deactivate), EtcdServerTests (NOSPACE) and SnapshotTests (alarms).
/// </summary>
internal sealed class AlarmStore
{
    private readonly Lock _lock = new();
    private readonly List<AlarmMember> _alarms = [];
    private volatile bool _noSpace;

    /// <summary>A NOSPACE alarm is raised (by any member): writes are refused (<see cref="CappedApplier"/>).</summary>
    public bool NoSpace => _noSpace;

    /// <summary>A copy of the list.</summary>
    public IReadOnlyList<AlarmMember> List()
    {
        lock (_lock) return _alarms.Select(a => a.Clone()).ToList();
    }

    /// <summary>Sets the list from a Raft snapshot.</summary>
    public void Replace(IEnumerable<AlarmMember> alarms)
    {
        lock (_lock)
        {
            _alarms.Clear();
            _alarms.AddRange(alarms.Select(a => a.Clone()));
            _noSpace = _alarms.Exists(a => a.Alarm == AlarmType.Nospace);
        }
    }

    /// <summary>etcd's applierV3backend.Alarm: GET lists, ACTIVATE/DEACTIVATE change the list.</summary>
    public AlarmResponse Apply(AlarmRequest request, ResponseHeader header)
    {
        var resp = new AlarmResponse { Header = header };
        lock (_lock)
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
            _noSpace = _alarms.Exists(a => a.Alarm == AlarmType.Nospace);
        }
        return resp;
    }
}
