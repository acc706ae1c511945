using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;
using KvStore.Mvcc.Backup;
using KvStore.Server.DataDir;
using Kvstorepb.EtcdDataDir;

namespace KvStore.Server.EtcdDataDir;

/// <summary>What an import brought over, for the operator's log.</summary>
public sealed record EtcdImportSummary(
    string EtcdFilesDir, ulong MemberId, ulong ClusterId, int Members, long Revision, long CompactRevision, int Leases,
    int Users, int Roles, bool AuthEnabled, ulong ConsistentIndex, int WalEntriesApplied);

/// <summary>
/// Starting on an etcd 3.4 member's data dir (a stopped member's, or one <c>etcdctl snapshot restore</c> made): the
/// backend (member/snap/db) becomes the engine as <c>kvstore snapshot restore</c> makes it, then the WAL entries
/// after the backend's consistent index are applied as etcd applies them on restart (the same auth checks, NOSPACE
/// refusing what the quota charges for); the member keeps etcd's member id (the WAL metadata), cluster id and
/// members (the newest Raft snapshot's v2 store plus the conf changes and attribute publishes after it). The work
/// is done in &lt;data-dir&gt;/member.import; etcd's member/ then moves aside to member.etcd and the import takes
/// its place (a start that stops between the two renames finishes the second). Tested by EtcdDataDirImportTests.
/// </summary>
public static class EtcdDataDirImport
{
    public const string ImportDirName = "member.import";
    public const string EtcdFilesDirName = "member.etcd";
    private const string CompleteMarker = "import.complete";

    /// <summary>etcd's backend file in a data dir.</summary>
    public static string BackendPath(string dataDir) => Path.Combine(dataDir, "member", "snap", "db");

    /// <summary>
    /// An etcd member's data dir (its backend, and no kvstore member record beside it), or an import that stopped
    /// between its two renames.
    /// </summary>
    public static bool IsPending(string dataDir) =>
        (File.Exists(BackendPath(dataDir)) && !File.Exists(Path.Combine(dataDir, "member", EtcdServer.MemberRecordFileName)))
        || (!Directory.Exists(Path.Combine(dataDir, "member")) && File.Exists(Path.Combine(dataDir, ImportDirName, CompleteMarker)));

    /// <summary>Imports the etcd data dir of <paramref name="config"/>; null when it only finished an interrupted one.</summary>
    public static async Task<EtcdImportSummary?> ImportAsync(ServerConfig config)
    {
        string dataDir = config.DataDir;
        string memberDir = Path.Combine(dataDir, "member");
        string importDir = Path.Combine(dataDir, ImportDirName);
        if (!Directory.Exists(memberDir))
        {
            FinishSwap(importDir, memberDir);
            return null;
        }
        if (Directory.Exists(importDir)) Directory.Delete(importDir, recursive: true); // a start that stopped before the swap

        string backend = BackendPath(dataDir);
        // etcd's --wal-dir holds the WAL when it was given; else member/wal.
        string walDir = config.WalDir is { Length: > 0 } dedicated && EtcdWal.Files(dedicated).Count > 0 ? dedicated : Path.Combine(memberDir, "wal");
        EtcdBackendMeta meta = Read(() => EtcdBackendMeta.Read(backend), "cannot open database at " + backend);
        EtcdMembers members = Read(() => EtcdMembers.FromSnapshots(Path.Combine(memberDir, "snap")), "cannot read the Raft snapshot in "
            + Path.Combine(memberDir, "snap"));
        EtcdWal? wal = EtcdWal.Files(walDir).Count > 0 ? Read(() => EtcdWal.Read(walDir), "cannot read the WAL in " + walDir) : null;

        Directory.CreateDirectory(importDir);
        (MvccStore store, BackupRestoreResult restored) = await DataDirException.WrapAsync(() =>
            EtcdBackupReader.RestoreAsync(backend, new MvccOptions
        {
            Directory = importDir,
            MaxTxnOps = config.MaxTxnOps,
            MinLeaseTtl = config.MinLeaseTtlSeconds,
        }), "cannot open database at " + backend).ConfigureAwait(false);
        int applied;
        bool authEnabled;
        ulong memberId, clusterId;
        IReadOnlyList<MemberInfo> memberInfos;
        try
        {
            var replay = new WalTailReplay(store, config.BcryptCost, meta.Alarms);
            applied = wal is null ? 0 : Read(() => replay.Apply(wal.Entries, meta.ConsistentIndex, members), "cannot apply the WAL in " + walDir);
            (memberId, clusterId, memberInfos) = Identity(config, wal, members, meta.ConsistentIndex);
            authEnabled = replay.Auth.Enabled;
            await store.CheckpointAsync().ConfigureAwait(false);
        }
        finally
        {
            store.Dispose();
        }
        EtcdServer.WriteImportedMembership(importDir, clusterId, memberInfos);
        File.WriteAllBytes(Path.Combine(importDir, CompleteMarker), []);

        string etcdFiles = FreeName(Path.Combine(dataDir, EtcdFilesDirName));
        Directory.Move(memberDir, etcdFiles);
        if (config.WalDir is { Length: > 0 } && walDir == config.WalDir)
        {
            // etcd's WAL files leave the dedicated wal dir, which kvstore's Raft log takes over.
            string moved = Path.Combine(etcdFiles, "wal-dir");
            Directory.CreateDirectory(moved);
            foreach (string file in EtcdWal.Files(walDir)) File.Move(file, Path.Combine(moved, Path.GetFileName(file)));
        }
        FinishSwap(importDir, memberDir);
        return new EtcdImportSummary(etcdFiles, memberId, clusterId, memberInfos.Count, restored.Revision, restored.CompactRevision,
            restored.Leases, restored.Users, restored.Roles, authEnabled, meta.ConsistentIndex, applied);
    }

    /// <summary>
    /// Who this member is and who the others are, as etcd would have it: from the WAL (its metadata record, and the
    /// members); a backend without a WAL (a db file copied alone) starts a new cluster from the flags, as
    /// <c>kvstore snapshot restore</c> does. kvstore cannot run Raft with etcd members, so a member of a cluster of
    /// several is refused unless <c>etcdctl snapshot restore</c> made it (every member then starts from the same
    /// state: its WAL holds the members' conf changes only).
    /// </summary>
    private static (ulong MemberId, ulong ClusterId, IReadOnlyList<MemberInfo> Members) Identity(ServerConfig config, EtcdWal? wal,
        EtcdMembers members, ulong consistentIndex)
    {
        if (wal is null)
        {
            var cluster = MemberIds.ParseInitialCluster(config.InitialCluster);
            var fromFlags = cluster.Select(m =>
            {
                List<string> urls = m.PeerUrls.Select(EtcdServer.Url).ToList();
                return new MemberInfo(MemberIds.Member(urls, config.InitialClusterToken), m.Name, urls, []);
            }).ToList();
            ulong self = fromFlags.FirstOrDefault(m => m.Name == config.Name)?.Id
                ?? throw new DataDirException($"couldn't find local name \"{config.Name}\" in the initial cluster configuration");
            return (self, MemberIds.Cluster(fromFlags.Select(m => m.Id)), fromFlags);
        }
        IReadOnlyList<MemberInfo> infos = members.ToMemberInfos();
        if (infos.All(m => m.Id != wal.MemberId))
        {
            throw new DataDirException(
                $"the member has been permanently removed from the cluster (member {wal.MemberId:x} is not among the data dir's members)");
        }
        bool restoreMade = wal.Entries.Count == infos.Count && wal.Entries.All(e => e.Type == 1 && e.Term == 1)
            && (ulong)wal.Entries.Count == consistentIndex;
        if (infos.Count > 1 && !restoreMade)
        {
            throw new DataDirException(
                $"cannot import {config.DataDir}: it is a member of an etcd cluster of {infos.Count} members, " +
                "and kvstore cannot run Raft with etcd members; " +
                "save a snapshot of the cluster (etcdctl snapshot save) and restore it for each member (kvstore snapshot restore or etcdctl " +
                    "snapshot restore)");
        }
        if (members.HasLearners) throw new DataDirException(
            $"cannot import {config.DataDir}: its cluster has a learner, and kvstore has no learners");
        if (infos.Count == 1)
        {
            // etcd publishes its --name on every start; the lone member is this one whatever it was called before
            infos = [infos[0] with { Name = config.Name }];
        }
        return (wal.MemberId, wal.ClusterId, infos);
    }

    private static void FinishSwap(string importDir, string memberDir)
    {
        Directory.Move(importDir, memberDir);
        File.Delete(Path.Combine(memberDir, CompleteMarker));
    }

    /// <summary><paramref name="path"/>, or path.1, path.2, ... when it exists (an earlier import's etcd files).</summary>
    private static string FreeName(string path)
    {
        string name = path;
        for (int n = 1; Directory.Exists(name) || File.Exists(name); n++) name = $"{path}.{n}";
        return name;
    }

    /// <summary>Reading etcd's files: a failure is a damaged data dir, "what (reason)".</summary>
    private static T Read<T>(Func<T> read, string what) => DataDirException.Wrap(read, what);
}
