using System.Security.Cryptography;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using KvStore.Server;

namespace KvStore.Grpc;

/// <summary>
/// etcd's Maintenance service (api/v3rpc/maintenance.go): call the member's verbs, fill the header; a snapshot is
/// spooled to a file, then streamed.
/// </summary>
public sealed class MaintenanceService(IEtcdServer server) : Maintenance.MaintenanceBase
{
    /// <summary>etcd's snapshotSendBufferSize: more than one OS page per message.</summary>
    internal const int SnapshotChunkBytes = 32 * 1024;

    public override Task<StatusResponse> Status(StatusRequest request, ServerCallContext context) => Task.FromResult(server.Status());

    public override Task<DefragmentResponse> Defragment(DefragmentRequest request, ServerCallContext context)
    {
        server.Defragment(server.CallerOf(context));
        return Task.FromResult(new DefragmentResponse()); // etcd's response carries no header
    }

    public override Task<HashResponse> Hash(HashRequest request, ServerCallContext context)
    {
        HashResponse response = server.Hash(server.CallerOf(context));
        response.Header = server.Fill(response.Header);
        return Task.FromResult(response);
    }

    public override Task<HashKVResponse> HashKV(HashKVRequest request, ServerCallContext context)
    {
        HashKVResponse response = server.HashKV(request, server.CallerOf(context));
        response.Header = server.Fill(response.Header);
        return Task.FromResult(response);
    }

    public override async Task<AlarmResponse> Alarm(AlarmRequest request, ServerCallContext context)
    {
        AlarmResponse response = await server.AlarmAsync(request, server.CallerOf(context), context.CancellationToken).ConfigureAwait(false);
        response.Header = server.Fill(response.Header);
        return response;
    }

    public override async Task<MoveLeaderResponse> MoveLeader(MoveLeaderRequest request, ServerCallContext context)
    {
        await server.MoveLeaderAsync(request, context.CancellationToken).ConfigureAwait(false);
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
        CancellationToken ct = context.CancellationToken;
        await using FileStream file = CreateSpoolFile();
        // Spooled to disk first: the backend is written under the store's read lock, which a slow client must not hold.
        long revision = await server.SnapshotAsync(file, server.CallerOf(context), ct).ConfigureAwait(false);
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

    /// <summary>A temporary file beside the member's data (the same disk), deleted when closed.</summary>
    private FileStream CreateSpoolFile()
    {
        string dir = Directory.Exists(server.Config.DataDir) ? server.Config.DataDir : Path.GetTempPath();
        string path = Path.Combine(dir, $"snapshot-{Guid.NewGuid():N}.tmp");
        return new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
    }
}
