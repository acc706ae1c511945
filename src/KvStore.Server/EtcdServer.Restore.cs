using Google.Protobuf;

namespace KvStore.Server;

public sealed partial class EtcdServer
{
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
        var record = new Membership(MemberIds.Cluster(members.Select(m => m.Id)), members, 0);
        string memberDir = Path.Combine(dataDir, "member");
        Directory.CreateDirectory(memberDir);
        string path = Path.Combine(memberDir, RecordFile);
        string temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            record.ToProto().WriteTo(file);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: false);
        return record.ClusterId;
    }
}
