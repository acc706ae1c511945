using Google.Protobuf;

namespace KvStore.Server;

public sealed partial class EtcdServer
{
    /// <summary>The member record's file in &lt;data-dir&gt;/member: a data dir without one is no kvstore member's.</summary>
    internal const string MemberRecordFileName = RecordFile;

    /// <summary>
    /// The member record of a data dir made by <c>kvstore snapshot restore</c> (etcd's snapshot Restore: a new
    /// cluster from --initial-cluster and --initial-cluster-token, whatever cluster the backup came from). Written
    /// at applied index 0 with no Raft log beside it, so the member that starts on the data dir bootstraps
    /// DotNext's voters from it and begins a fresh log, as a new cluster does; client URLs are empty until each
    /// member publishes its own. Returns the new cluster id.
    /// </summary>
    public static ulong WriteRestoredMembership(string dataDir, IReadOnlyList<(string Name, List<string> PeerUrls)> initialCluster, string clusterToken)
    {
        var members = initialCluster
            .Select(m =>
            {
                List<string> urls = m.PeerUrls.Select(Url).ToList();
                return new MemberInfo(MemberIds.Member(urls, clusterToken), m.Name, urls, []);
            })
            .ToList();
        ulong clusterId = MemberIds.Cluster(members.Select(m => m.Id));
        WriteImportedMembership(Path.Combine(dataDir, "member"), clusterId, members);
        return clusterId;
    }

    /// <summary>
    /// The member record of a data dir whose members come from elsewhere (an etcd data dir imported: etcd's member
    /// and cluster ids), at applied index 0 with no Raft log beside it, as <see cref="WriteRestoredMembership"/>.
    /// </summary>
    public static void WriteImportedMembership(string memberDir, ulong clusterId, IReadOnlyList<MemberInfo> members)
    {
        var record = new Membership(clusterId, members, 0);
        Directory.CreateDirectory(memberDir);
        string path = Path.Combine(memberDir, RecordFile);
        string temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            record.ToProto().WriteTo(file);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: false);
    }
}
