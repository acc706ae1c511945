using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;

namespace KvStore.Server;

/// <summary>The outcome of a proposal: the engine's response, an engine error, or a member error.</summary>
public readonly record struct ProposeResult(IMessage? Response, MvccError MvccError = MvccError.None, ServerError Error = ServerError.None)
{
    public bool Ok => MvccError == MvccError.None && Error == ServerError.None;
}

/// <summary>A member of the cluster as etcd's MemberList shows it.</summary>
public sealed record MemberInfo(ulong Id, string Name, IReadOnlyList<string> PeerUrls, IReadOnlyList<string> ClientUrls, bool IsLearner = false);

/// <summary>
/// What the RPC layer needs from a member (etcd's EtcdServer as v3rpc sees it). Every mutation goes through
/// <see cref="ProposeAsync"/> (a command in the Raft log, answered once committed and applied); linearizable
/// reads wait for <see cref="ReadIndexAsync"/>, then read <see cref="Store"/> locally.
/// </summary>
public interface IEtcdServer
{
    /// <summary>etcd's cluster id (derived from the initial cluster's peer URLs and token).</summary>
    ulong ClusterId { get; }

    /// <summary>This member's id (derived from its peer URLs, cluster token and time of creation as etcd).</summary>
    ulong MemberId { get; }

    /// <summary>The current leader's member id; 0 when there is none.</summary>
    ulong LeaderId { get; }

    /// <summary>Current Raft term.</summary>
    long RaftTerm { get; }

    /// <summary>Index of the last entry in the Raft log.</summary>
    long RaftIndex { get; }

    /// <summary>Index of the last entry applied to the engine.</summary>
    long AppliedIndex { get; }

    /// <summary>The engine; read it directly for serializable reads.</summary>
    MvccStore Store { get; }

    /// <summary>The server configuration this member runs with.</summary>
    ServerConfig Config { get; }

    /// <summary>A response header for this member at <paramref name="revision"/> (cluster id, member id, term).</summary>
    ResponseHeader Header(long revision);

    /// <summary>
    /// Replicates one command (put, delete, txn, compaction, lease grant/revoke/checkpoint, alarm...) and
    /// returns the engine's result once it is committed and applied here. Request size and quota (NOSPACE)
    /// are checked before proposing.
    /// </summary>
    Task<ProposeResult> ProposeAsync(InternalRaftRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Waits until this member has applied everything committed before the call (a read index the leader confirmed
    /// with a quorum; a follower asks the leader for it). "request timed out" when no leader confirms one in time.
    /// </summary>
    Task<ServerError> ReadIndexAsync(CancellationToken cancellationToken);

    /// <summary>Keep-alive of a lease on the leader's lessor clock (a follower asks the leader).</summary>
    Task<(LeaseKeepAliveResponse? Response, MvccError MvccError, ServerError Error)> LeaseRenewAsync(long id, CancellationToken cancellationToken);

    /// <summary>Remaining TTL of a lease on the leader's lessor clock (a follower asks the leader).</summary>
    Task<(LeaseTimeToLiveResponse? Response, MvccError MvccError, ServerError Error)> LeaseTimeToLiveAsync(LeaseTimeToLiveRequest request, CancellationToken cancellationToken);

    /// <summary>The members of the cluster.</summary>
    IReadOnlyList<MemberInfo> Members { get; }

    /// <summary>Active alarms (NOSPACE, CORRUPT) by member.</summary>
    IReadOnlyList<AlarmMember> Alarms { get; }

    /// <summary>Errors this member reports in Status (e.g. "NOSPACE").</summary>
    IReadOnlyList<string> StatusErrors { get; }

    /// <summary>Size of the data on disk in bytes (etcd's dbSize).</summary>
    long DbSizeBytes { get; }

    /// <summary>etcd's AddMember: a new voting member with these peer URLs and no name until it starts (a follower passes it to the leader).</summary>
    Task<MembershipResult> AddMemberAsync(IReadOnlyList<string> peerUrls, bool isLearner, CancellationToken cancellationToken);

    /// <summary>etcd's RemoveMember (a follower passes it to the leader).</summary>
    Task<MembershipResult> RemoveMemberAsync(ulong id, CancellationToken cancellationToken);

    /// <summary>etcd's UpdateMember: new peer URLs for a member (a follower passes it to the leader).</summary>
    Task<MembershipResult> UpdateMemberAsync(ulong id, IReadOnlyList<string> peerUrls, CancellationToken cancellationToken);

    /// <summary>etcd's PromoteMember: there are no learners here, so this always fails with etcd's error.</summary>
    Task<MembershipResult> PromoteMemberAsync(ulong id, CancellationToken cancellationToken);

    /// <summary>
    /// The user of the current call's auth token (<see cref="RequestAuth.Token"/>): null with no token;
    /// <see cref="MvccError.AuthInvalidToken"/> for a token this member does not know (etcd's AuthInfoFromCtx).
    /// </summary>
    MvccError ResolveAuth(out AuthInfo? info);

    /// <summary>etcd's doSerialize check: resolves the call's user (none: revision 0) and runs <paramref name="check"/>.</summary>
    MvccError CheckRead(Func<AuthInfo, MvccError> check, out AuthInfo info);

    /// <summary>etcd's IsAdminPermitted for the current call (maintenance operations that need root).</summary>
    MvccError CheckAdmin();

    /// <summary>etcd's checkTxnAuth: read access to every compare and range, write access to every put and delete.</summary>
    MvccError CheckTxn(AuthInfo auth, TxnRequest txn);

    /// <summary>The bcrypt hash of a password (done before proposing: the log never holds a plain password).</summary>
    string HashPassword(string password);

    /// <summary>etcd's Authenticate: checks the password, then proposes the command that mints a simple token.</summary>
    Task<ProposeResult> AuthenticateAsync(AuthenticateRequest request, CancellationToken cancellationToken);

    /// <summary>Moves leadership to <paramref name="targetMemberId"/> (etcd's MoveLeader; the leader only).</summary>
    Task<ServerError> MoveLeaderAsync(ulong targetMemberId, CancellationToken cancellationToken);
}

/// <summary>Version strings this member reports.</summary>
public static class EtcdVersion
{
    /// <summary>The etcd server version KvStore is compatible with (kube-apiserver enables every feature from 3.5.13).</summary>
    public const string Server = "3.5.16";

    /// <summary>The cluster version (major.minor.0), as etcd reports it.</summary>
    public const string Cluster = "3.5.0";
}
