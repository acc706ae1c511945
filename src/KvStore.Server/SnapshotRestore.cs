using KvStore.Mvcc;
using KvStore.Mvcc.Backup;

namespace KvStore.Server;

/// <summary>etcdctl's snapshot status of an etcd backend snapshot: hash, last revision, key count, size in bytes.</summary>
public sealed record SnapshotStatus(uint Hash, long Revision, int TotalKey, long TotalSize);

/// <summary>What <see cref="SnapshotRestore.RestoreAsync"/> made (for the operator's log).</summary>
public sealed record RestoredSnapshot(
    ulong ClusterId, long Revision, long CompactRevision, int Revisions, int Leases, int Users, int Roles, bool AuthEnabled);

/// <summary>
/// etcd 3.4's snapshot status and restore (clientv3/snapshot) over an etcd backend snapshot, for
/// <c>kvstore snapshot</c>: restore makes a kvstore data dir whose member serves the backup's keys, revisions,
/// leases and auth store in the new cluster named by --initial-cluster and --initial-cluster-token
/// (tests/KvStore.Etcdctl.Tests SnapshotRestoreTests).
/// </summary>
public static class SnapshotRestore
{
    /// <summary>etcd's snapshot Status; a damaged file throws <see cref="InvalidDataException"/> with etcd's message.</summary>
    public static SnapshotStatus Status(string path)
    {
        BackupStatus s = EtcdBackupReader.Status(path);
        return new SnapshotStatus(s.Hash, s.Revision, s.TotalKey, s.TotalSize);
    }

    /// <summary>
    /// Checks the snapshot's SHA-256 (unless <paramref name="skipHashCheck"/>), then makes
    /// <paramref name="dataDir"/> (engine store and member record) and <paramref name="walDir"/>. Neither may exist
    /// yet; on failure what was made is removed, so that a second try does not fail on "data-dir exists".
    /// </summary>
    public static async Task<RestoredSnapshot> RestoreAsync(string snapshot, bool skipHashCheck, string dataDir, string walDir,
        IReadOnlyList<(string Name, List<string> PeerUrls)> initialCluster, string clusterToken)
    {
        EtcdBackupReader.VerifyHash(snapshot, skipHashCheck);
        try
        {
            string memberDir = Path.Combine(dataDir, "member");
            Directory.CreateDirectory(memberDir);
            (MvccStore store, BackupRestoreResult result) = await EtcdBackupReader
                .RestoreAsync(snapshot, new MvccOptions { Directory = memberDir }).ConfigureAwait(false);
            store.Dispose();
            ulong clusterId = EtcdServer.WriteRestoredMembership(dataDir, initialCluster, clusterToken);
            Directory.CreateDirectory(walDir);
            return new RestoredSnapshot(clusterId, result.Revision, result.CompactRevision, result.Revisions, result.Leases,
                result.Users, result.Roles, result.AuthEnabled);
        }
        catch
        {
            TryDelete(dataDir);
            TryDelete(walDir);
            throw;
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
