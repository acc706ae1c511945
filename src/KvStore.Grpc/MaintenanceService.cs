using System.Security.Cryptography;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using KvStore.Mvcc;
using KvStore.Mvcc.Backup;
using KvStore.Server;

namespace KvStore.Grpc;

/// <summary>
/// etcd's Maintenance service (api/v3rpc/maintenance.go). Defragment is a successful no-op: the storage engine
/// reclaims space by its own log compaction.
/// </summary>
public sealed class MaintenanceService(IEtcdServer server) : Maintenance.MaintenanceBase
{
    /// <summary>etcd's snapshotSendBufferSize: more than one OS page per message.</summary>
    internal const int SnapshotChunkBytes = 32 * 1024;

    public override Task<StatusResponse> Status(StatusRequest request, ServerCallContext context)
    {
        long dbSize = server.DbSizeBytes;
        var response = new StatusResponse
        {
            Header = server.Header(server.Store.CurrentRevision),
            Version = EtcdVersion.Server,
            DbSize = dbSize,
            DbSizeInUse = Math.Min(dbSize, server.Store.StorageSizeBytes),
            Leader = server.LeaderId,
            RaftIndex = (ulong)server.RaftIndex,
            RaftTerm = (ulong)server.RaftTerm,
            RaftAppliedIndex = (ulong)server.AppliedIndex,
            IsLearner = false,
        };
        const string noLeader = "etcdserver: no leader";
        if (response.Leader == 0) response.Errors.Add(noLeader);
        foreach (string e in server.StatusErrors)
        {
            if (e != noLeader || response.Leader != 0) response.Errors.Add(e);
        }
        return Task.FromResult(response);
    }

    public override Task<DefragmentResponse> Defragment(DefragmentRequest request, ServerCallContext context)
    {
        CheckAdmin();
        return Task.FromResult(new DefragmentResponse()); // etcd's response carries no header
    }

    /// <summary>etcd's authMaintenanceServer: Defragment, Snapshot, Hash and HashKV need the root role when auth is on.</summary>
    private void CheckAdmin()
    {
        MvccError error = server.CheckAdmin();
        if (error != MvccError.None) throw ErrorTable.For(error);
    }

    public override Task<HashResponse> Hash(HashRequest request, ServerCallContext context)
    {
        CheckAdmin();
        HashResponse response = server.Store.Hash();
        response.Header = server.Fill(response.Header);
        return Task.FromResult(response);
    }

    public override Task<HashKVResponse> HashKV(HashKVRequest request, ServerCallContext context)
    {
        CheckAdmin();
        MvccResult<HashKVResponse> result = server.Store.HashKV(request.Revision);
        HashKVResponse response = result.Response ?? throw ErrorTable.For(result.Error);
        response.Header = server.Fill(response.Header);
        return Task.FromResult(response);
    }

    public override async Task<AlarmResponse> Alarm(AlarmRequest request, ServerCallContext context)
    {
        AlarmResponse response;
        if (request.Action == AlarmRequest.Types.AlarmAction.Get)
        {
            // etcd's alarmStore.Get: every alarm for NONE, else the alarms of that type, on any member.
            response = new AlarmResponse();
            response.Alarms.AddRange(server.Alarms.Where(a => request.Alarm == AlarmType.None || a.Alarm == request.Alarm));
        }
        else
        {
            ProposeResult result = await server.ProposeAsync(new InternalRaftRequest { Alarm = request }, context.CancellationToken).ConfigureAwait(false);
            response = result.Unwrap<AlarmResponse>();
        }
        response.Header = server.Fill(response.Header);
        return response;
    }

    /// <summary>
    /// etcd's MoveLeader. DotNext has no leadership transfer, so the leader asks every other member but the
    /// transferee to stand by (still voting, not campaigning), then steps down itself: the transferee is the only
    /// candidate left. Members that cannot be asked are handled by the leader's resign-until-won loop.
    /// </summary>
    public override async Task<MoveLeaderResponse> MoveLeader(MoveLeaderRequest request, ServerCallContext context)
    {
        if (server.MemberId != server.LeaderId) throw ErrorTable.For(ServerError.NotLeader);
        if (server.Members.All(m => m.Id != request.TargetID)) throw ErrorTable.For(ServerError.BadLeaderTransferee);
        ServerError error = await server.MoveLeaderAsync(request.TargetID, context.CancellationToken).ConfigureAwait(false);
        if (error != ServerError.None) throw ErrorTable.For(error);
        return new MoveLeaderResponse(); // etcd's response carries no header
    }

    /// <summary>
    /// etcd's maintenance Snapshot: the state as an etcd 3.4 backend - a bbolt database (Backup/EtcdBackupWriter)
    /// that etcdctl's snapshot status reads and snapshot restore turns into a data dir etcd starts on - streamed in
    /// 32 KiB chunks, then one last message holding the SHA-256 of all of it (etcdctl checks that the length is
    /// 512 x n + 32; a bolt file is whole 4 KiB pages, the zero padding below never applies to it).
    /// </summary>
    public override async Task Snapshot(SnapshotRequest request, IServerStreamWriter<SnapshotResponse> responseStream, ServerCallContext context)
    {
        CheckAdmin();
        CancellationToken ct = context.CancellationToken;
        await using FileStream file = CreateSpoolFile();
        long revision = server.Store.CurrentRevision;
        // The backend is written under the store's read lock while it runs: write it to disk first so that a slow client
        // never holds up writers.
        var cluster = new BackupCluster(
            [.. server.Members.Select(m => new BackupMember(m.Id, m.Name, m.PeerUrls, m.ClientUrls, m.IsLearner))],
            EtcdVersion.Cluster, server.Alarms, RaftIndexOf);
        await Task.Run(() => EtcdBackupWriter.Write(server.Store, cluster, file), ct).ConfigureAwait(false);
        // A bbolt file is whole 4 KiB pages: its length is a multiple of 512, which etcdctl's restore checks (length
        // = 512 x n + the 32-byte SHA-256).
        long total = file.Length;
        file.Position = 0;

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[SnapshotChunkBytes];
        long sent = 0;
        bool first = true;
        while (sent < total)
        {
            int n = (int)Math.Min(buffer.Length, total - sent);
            await file.ReadExactlyAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            sent += n;
            sha.AppendData(buffer, 0, n);
            var chunk = new SnapshotResponse { RemainingBytes = (ulong)(total - sent), Blob = ByteString.CopyFrom(buffer, 0, n) };
            if (first) chunk.Header = server.Header(revision);
            first = false;
            await responseStream.WriteAsync(chunk, ct).ConfigureAwait(false);
        }
        await responseStream.WriteAsync(new SnapshotResponse { RemainingBytes = 0, Blob = ByteString.CopyFrom(sha.GetHashAndReset()) }, ct)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// The Raft index in an engine consistent index: the member numbers the commands of one Raft entry in its low 16
    /// bits (KvStore.Server's RaftStateMachine.EngineIndex, internal to it). etcd's meta bucket holds the Raft index.
    /// </summary>
    private static long RaftIndexOf(long engineIndex) => engineIndex >> 16;

    /// <summary>A temporary file beside the member's data (the same disk), deleted when closed.</summary>
    private FileStream CreateSpoolFile()
    {
        string dir = Directory.Exists(server.Config.DataDir) ? server.Config.DataDir : Path.GetTempPath();
        string path = Path.Combine(dir, $"snapshot-{Guid.NewGuid():N}.tmp");
        return new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
    }
}
