using KvStore.Server.Members;
using Kvstorepb;

namespace KvStore.Server;

/// <summary>The outcome of a membership change: the member concerned, the members after it, or an error.</summary>
public readonly record struct MembershipResult(MemberInfo? Member, IReadOnlyList<MemberInfo> Members, ServerError Error = ServerError.None);

/// <summary>
/// etcd's Cluster verbs, served by the membership components (<see cref="Membership"/>: the record and this member's id;
/// <see cref="MembershipChanges"/>: add, remove, update; <see cref="VoterReconciler"/>: DotNext's voters follow the
/// record; <see cref="LeaderTransfer"/>: MoveLeader).
/// </summary>
public sealed partial class EtcdServer
{
    /// <summary>The member record's file in &lt;data-dir&gt;/member: a data dir without one is no kvstore member's.</summary>
    internal const string MemberRecordFileName = MembershipRecord.FileName;

    /// <summary>etcd's URL text: no trailing slash.</summary>
    internal static string Url(string url) => MembershipRecord.Url(url);

    public ulong ClusterId => _membership.ClusterId;

    public ulong MemberId => _membership.MemberId;

    public IReadOnlyList<MemberInfo> Members => _membership.Members;

    /// <summary>
    /// Cancelled once this member has been removed from the cluster (etcd: "the member has been permanently
    /// removed from the cluster"; etcd then stops, and so does the host).
    /// </summary>
    public CancellationToken Removed => _membership.Removed;

    /// <summary>etcd's AddMember: a new voting member with these peer URLs and no name until it starts.</summary>
    public Task<MembershipResult> AddMemberAsync(IReadOnlyList<string> peerUrls, bool isLearner, CancellationToken cancellationToken) =>
        _membershipChanges.AddAsync(peerUrls, isLearner, cancellationToken);

    /// <summary>etcd's RemoveMember.</summary>
    public Task<MembershipResult> RemoveMemberAsync(ulong id, CancellationToken cancellationToken) =>
        _membershipChanges.RemoveAsync(id, cancellationToken);

    /// <summary>etcd's UpdateMember: new peer URLs for a member.</summary>
    public Task<MembershipResult> UpdateMemberAsync(ulong id, IReadOnlyList<string> peerUrls, CancellationToken cancellationToken) =>
        _membershipChanges.UpdateAsync(id, peerUrls, cancellationToken);

    /// <summary>etcd's PromoteMember: every member here is a voter, so there is never a learner to promote.</summary>
    public Task<MembershipResult> PromoteMemberAsync(ulong id, CancellationToken cancellationToken) => _membershipChanges.PromoteAsync(id);

    /// <summary>etcd's MoveLeader (<see cref="LeaderTransfer"/>).</summary>
    public Task<ServerError> MoveLeaderAsync(ulong targetMemberId, CancellationToken cancellationToken) =>
        _leaderTransfer.MoveLeaderAsync(targetMemberId, cancellationToken);

    /// <summary>Applies a committed record (every member, in log order). A replayed older entry changes nothing.</summary>
    internal void ApplyMembers(long index, ClusterMembers record) => _membership.Apply(index, record);

    /// <summary>Installs the leader's record from a snapshot (<see cref="Membership.Install"/>).</summary>
    internal void InstallMembers(ClusterMembers record) => _membership.Install(record);

    /// <summary>The applied record, as a snapshot sent to a member carries it.</summary>
    internal ClusterMembers MembersRecord() => _membership.Current.ToProto();

    /// <summary>
    /// The member record of a data dir made by <c>kvstore snapshot restore</c> (etcd's snapshot Restore: a new
    /// cluster from --initial-cluster and --initial-cluster-token, whatever cluster the backup came from). Written
    /// at applied index 0 with no Raft log beside it, so the member that starts on the data dir bootstraps
    /// DotNext's voters from it and begins a fresh log, as a new cluster does; client URLs are empty until each
    /// member publishes its own. Returns the new cluster id.
    /// </summary>
    public static ulong WriteRestoredMembership(string dataDir, IReadOnlyList<(string Name, List<string> PeerUrls)> initialCluster,
        string clusterToken)
    {
        var members = initialCluster
            .Select(m =>
            {
                List<string> urls = m.PeerUrls.Select(MembershipRecord.Url).ToList();
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
        Directory.CreateDirectory(memberDir);
        new MembershipRecord(clusterId, members, 0).Write(Path.Combine(memberDir, MembershipRecord.FileName), overwrite: false);
    }
}
