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

    /// <summary>Status's errors: each alarm as etcd's AlarmMember.String() prints it ("memberID:123 alarm:NOSPACE ").</summary>
    public IReadOnlyList<string> StatusErrors =>
        Alarms.Select(a => $"memberID:{a.MemberID} alarm:{a.Alarm.ToString().ToUpperInvariant()} ").ToList();

    // etcd's estimates of what storing a key's metadata and a lease costs (etcdserver/quota.go).
    private const int KvOverhead = 256, LeaseOverhead = 64;

    /// <summary>
    /// etcd's backendQuota.Cost: a put costs its key and value plus 256 bytes, a lease grant 64, a txn the larger of
    /// its success and failure puts (top level only, as etcd counts); everything else (deletes, ranges, compaction,
    /// revokes) costs nothing and is never refused for space. Tested by QuotaTests against etcd 3.4.
    /// </summary>
    internal static long QuotaCost(InternalRaftRequest r)
    {
        if (r.Put is { } put) return KvOverhead + put.Key.Length + put.Value.Length;
        if (r.LeaseGrant is not null) return LeaseOverhead;
        if (r.Txn is { } txn) return Math.Max(TxnPuts(txn.Success), TxnPuts(txn.Failure));
        return 0;

        static long TxnPuts(IEnumerable<RequestOp> ops) =>
            ops.Sum(op => op.RequestPut is { } p ? KvOverhead + p.Key.Length + p.Value.Length : 0L);
    }

    /// <summary>
    /// etcd's quota check (db size + cost below the quota): is there room for this request? If not, raise NOSPACE (once)
    /// through the log. A disk without its reserve refuses as well, without the alarm (no room to log it).
    /// </summary>
    private bool QuotaAvailable(InternalRaftRequest request)
    {
        if (NoSpaceActive || !_diskRoom.HasRoom()) return false;
        if (DbSizeBytes + QuotaCost(request) < Config.EffectiveQuotaBytes) return true;
        if (Interlocked.Exchange(ref _noSpaceRaising, 1) == 0)
        {
            var raise = new InternalRaftRequest
            {
                Alarm = new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Activate, MemberID = MemberId, Alarm = AlarmType.Nospace },
            };
            Volatile.Write(ref _noSpaceRaise, ProposeAsync(raise, CancellationToken.None).ContinueWith(_ => Volatile.Write(ref _noSpaceRaising, 0), TaskScheduler.Default));
        }
        return false;
    }

    /// <summary>Room on the data dir's disks for <paramref name="bytes"/> beyond the reserve (see <see cref="DataDir.DiskRoom.HasRoomFor"/>).</summary>
    internal bool HasDiskRoomFor(long bytes, out long free) => _diskRoom.HasRoomFor(bytes, out free);

    private Task _noSpaceRaise = Task.CompletedTask;
    private Task _diskStandby = Task.CompletedTask;

    /// <summary>
    /// A member whose disk is full stands by (steps down if it leads, never stands for election) so that one of the
    /// others leads and the cluster takes writes; as a follower it refuses entries (RaftLog.HasRoom) until space
    /// returns, then stands by no more. A single member keeps leading (it only refuses writes). Tested by
    /// DiskFullTests.FullLeaderStepsDownTheOthersGoOnAndItCatchesUpWhenSpaceReturns (KvStore.Cluster.Tests).
    /// </summary>
    private void OnDiskRoomChanged(bool room)
    {
        if (_cluster.Members.Count < 2) return;
        lock (_alarmLock)
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

    /// <summary>
    /// Waits (up to the request timeout) for the NOSPACE alarm being raised, as etcd's quotaAlarmer raises it before it
    /// answers NOSPACE: a client that lists the alarms next sees it. Tested by QuotaTests (KvStore.Operations.Tests).
    /// </summary>
    private Task NoSpaceRaisedAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _noSpaceRaise).WaitAsync(RequestTimeout, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);

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
