using Etcdserverpb;
using KvStore.Mvcc;
using KvStore.Mvcc.Backup;

namespace KvStore.Server;

/// <summary>etcd's Maintenance verbs (api/v3rpc/maintenance.go over the server): admin checks, then the member's own state.</summary>
public sealed partial class EtcdServer
{
    private const string NoLeaderStatusError = "etcdserver: no leader";

    /// <inheritdoc/>
    public StatusResponse Status()
    {
        long dbSize = DbSizeBytes;
        var response = new StatusResponse
        {
            Header = Header(Store.CurrentRevision),
            Version = EtcdVersion.Server,
            DbSize = dbSize,
            DbSizeInUse = Math.Min(dbSize, Store.StorageSizeBytes),
            Leader = LeaderId,
            RaftIndex = (ulong)RaftIndex,
            RaftTerm = (ulong)RaftTerm,
            RaftAppliedIndex = (ulong)AppliedIndex,
            IsLearner = false,
        };
        if (response.Leader == 0) response.Errors.Add(NoLeaderStatusError);
        foreach (string e in StatusErrors)
        {
            if (e != NoLeaderStatusError || response.Leader != 0) response.Errors.Add(e);
        }
        return response;
    }

    /// <inheritdoc/>
    public HashResponse Hash(Caller caller)
    {
        _auth.CheckAdmin(caller);
        return Store.Hash();
    }

    /// <inheritdoc/>
    public HashKVResponse HashKV(HashKVRequest request, Caller caller)
    {
        _auth.CheckAdmin(caller);
        MvccResult<HashKVResponse> result = Store.HashKV(request.Revision);
        return result.Response ?? throw new EtcdServerException(result.Error);
    }

    /// <inheritdoc/>
    public void Defragment(Caller caller) => _auth.CheckAdmin(caller);

    /// <inheritdoc/>
    public async Task<AlarmResponse> AlarmAsync(AlarmRequest request, Caller caller, CancellationToken cancellationToken)
    {
        if (request.Action != AlarmRequest.Types.AlarmAction.Get)
        {
            return EtcdServerException.Unwrap<AlarmResponse>(
                await ProposeAsync(new InternalRaftRequest { Alarm = request }, caller, cancellationToken).ConfigureAwait(false));
        }
        // etcd's alarmStore.Get: every alarm for NONE, else the alarms of that type, on any member.
        var response = new AlarmResponse();
        response.Alarms.AddRange(Alarms.Where(a => request.Alarm == AlarmType.None || a.Alarm == request.Alarm));
        return response;
    }

    /// <summary>
    /// etcd's MoveLeader. DotNext has no leadership transfer, so the leader asks every other member but the
    /// transferee to stand by (still voting, not campaigning), then steps down itself: the transferee is the only
    /// candidate left. Members that cannot be asked are handled by the leader's resign-until-won loop.
    /// </summary>
    public async Task MoveLeaderAsync(MoveLeaderRequest request, CancellationToken cancellationToken)
    {
        if (MemberId != LeaderId) throw new EtcdServerException(ServerError.NotLeader);
        if (Members.All(m => m.Id != request.TargetID)) throw new EtcdServerException(ServerError.BadLeaderTransferee);
        EtcdServerException.ThrowIf(await MoveLeaderAsync(request.TargetID, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc/>
    public async Task<long> SnapshotAsync(Stream destination, Caller caller, CancellationToken cancellationToken)
    {
        _auth.CheckAdmin(caller);
        long revision = Store.CurrentRevision;
        var cluster = new BackupCluster(
            [.. Members.Select(m => new BackupMember(m.Id, m.Name, m.PeerUrls, m.ClientUrls, m.IsLearner))],
            EtcdVersion.Cluster, Alarms, RaftStateMachine.RaftIndex);
        // Written under the store's read lock while it runs: the caller spools it to disk so a slow client never holds up writers.
        await Task.Run(() => EtcdBackupWriter.Write(Store, cluster, destination), cancellationToken).ConfigureAwait(false);
        return revision;
    }
}
