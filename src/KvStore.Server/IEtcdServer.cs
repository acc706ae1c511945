using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;
using KvStore.Mvcc.Watch;

namespace KvStore.Server;

/// <summary>The outcome of a proposal: the engine's response, an engine error, or a member error.</summary>
public readonly record struct ProposeResult(IMessage? Response, MvccError MvccError = MvccError.None, ServerError Error = ServerError.None)
{
    public bool Ok => MvccError == MvccError.None && Error == ServerError.None;
}

/// <summary>A member of the cluster as etcd's MemberList shows it.</summary>
public sealed record MemberInfo(ulong Id, string Name, IReadOnlyList<string> PeerUrls, IReadOnlyList<string> ClientUrls, bool IsLearner = false);

/// <summary>
/// The member as the RPC layer sees it (etcd's EtcdServer behind v3rpc): etcd's verbs, each taking the request, the
/// caller (<see cref="Caller"/>) and a cancellation token. A verb answers its response or throws
/// <see cref="EtcdServerException"/>; the RPC layer validates, calls, fills the header and maps the error once.
/// </summary>
public interface IEtcdServer : IServerInfo, IRaftKV, ILessorApi, IClusterApi, IMaintenanceApi, IAuthApi, IWatchable;

/// <summary>What a response header and the metrics need: ids, term, indexes and the engine's revisions.</summary>
public interface IServerInfo
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

    /// <summary>The engine's current revision (etcd's kv.Rev()).</summary>
    long CurrentRevision { get; }

    /// <summary>The engine's compacted revision; -1 before the first compaction.</summary>
    long CompactRevision { get; }

    /// <summary>Keys live at the current revision (etcd_debugging_mvcc_keys_total).</summary>
    long KeyCount { get; }

    /// <summary>Size of the data on disk in bytes (etcd's dbSize).</summary>
    long DbSizeBytes { get; }

    /// <summary>The server configuration this member runs with.</summary>
    ServerConfig Config { get; }

    /// <summary>A response header for this member at <paramref name="revision"/> (cluster id, member id, term).</summary>
    ResponseHeader Header(long revision);
}

/// <summary>etcd's RaftKV (etcdserver/v3_server.go): reads served locally after a read index, writes proposed.</summary>
public interface IRaftKV
{
    /// <summary>etcd's Range: linearizable unless serializable, then doSerialize (permission, range, auth revision).</summary>
    Task<RangeResponse> RangeAsync(RangeRequest request, Caller caller, CancellationToken cancellationToken);

    Task<PutResponse> PutAsync(PutRequest request, Caller caller, CancellationToken cancellationToken);

    Task<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, Caller caller, CancellationToken cancellationToken);

    /// <summary>etcd's Txn: a txn of ranges only is served like a range (no proposal), any other is proposed.</summary>
    Task<TxnResponse> TxnAsync(TxnRequest request, Caller caller, CancellationToken cancellationToken);

    /// <summary>etcd's Compact: proposed; its header carries the revision once applied.</summary>
    Task<CompactionResponse> CompactAsync(CompactionRequest request, Caller caller, CancellationToken cancellationToken);

    /// <summary>
    /// etcd's LinearizableReadNotify: waits until this member has applied everything committed before the call (a read
    /// index the leader confirmed with a quorum). "request timed out" when no leader confirms one in time.
    /// </summary>
    Task<ServerError> ReadIndexAsync(CancellationToken cancellationToken);
}

/// <summary>etcd's Lessor verbs: grant and revoke are proposals, renew and time-to-live run on the leader's clock.</summary>
public interface ILessorApi
{
    Task<LeaseGrantResponse> LeaseGrantAsync(LeaseGrantRequest request, Caller caller, CancellationToken cancellationToken);

    Task<LeaseRevokeResponse> LeaseRevokeAsync(LeaseRevokeRequest request, Caller caller, CancellationToken cancellationToken);

    /// <summary>etcd's LeaseRenew: the lease's TTL after the renewal (a follower asks the leader).</summary>
    Task<long> LeaseRenewAsync(long id, CancellationToken cancellationToken);

    /// <summary>etcd's LeaseTimeToLive; with keys, only for a caller who may read every key of the lease (etcd 3.5.10+).</summary>
    Task<LeaseTimeToLiveResponse> LeaseTimeToLiveAsync(LeaseTimeToLiveRequest request, Caller caller, CancellationToken cancellationToken);

    Task<LeaseLeasesResponse> LeaseLeasesAsync(LeaseLeasesRequest request, CancellationToken cancellationToken);
}

/// <summary>etcd's Cluster verbs (server.go AddMember...): changes need the root role when auth is on.</summary>
public interface IClusterApi
{
    /// <summary>The members of the cluster.</summary>
    IReadOnlyList<MemberInfo> Members { get; }

    Task<MembershipResult> MemberAddAsync(MemberAddRequest request, Caller caller, CancellationToken cancellationToken);

    Task<MembershipResult> MemberRemoveAsync(MemberRemoveRequest request, Caller caller, CancellationToken cancellationToken);

    Task<MembershipResult> MemberUpdateAsync(MemberUpdateRequest request, Caller caller, CancellationToken cancellationToken);

    /// <summary>There are no learners here: always etcd's "can only promote a learner member" (or member not found).</summary>
    Task<MembershipResult> MemberPromoteAsync(MemberPromoteRequest request, Caller caller, CancellationToken cancellationToken);
}

/// <summary>etcd's Maintenance verbs: Hash, HashKV, Defragment and Snapshot need the root role when auth is on.</summary>
public interface IMaintenanceApi
{
    /// <summary>Active alarms (NOSPACE, CORRUPT) by member.</summary>
    IReadOnlyList<AlarmMember> Alarms { get; }

    StatusResponse Status();

    HashResponse Hash(Caller caller);

    HashKVResponse HashKV(HashKVRequest request, Caller caller);

    /// <summary>A successful no-op: the storage engine reclaims space by its own log compaction.</summary>
    void Defragment(Caller caller);

    /// <summary>etcd's Alarm: GET reads this member's list, ACTIVATE and DEACTIVATE are proposed.</summary>
    Task<AlarmResponse> AlarmAsync(AlarmRequest request, Caller caller, CancellationToken cancellationToken);

    /// <summary>etcd's MoveLeader (the leader only).</summary>
    Task MoveLeaderAsync(MoveLeaderRequest request, CancellationToken cancellationToken);

    /// <summary>Writes the state as an etcd 3.4 backend (a bbolt file) to <paramref name="destination"/>; answers its revision.</summary>
    Task<long> SnapshotAsync(Stream destination, Caller caller, CancellationToken cancellationToken);
}

/// <summary>etcd's Authenticator verbs and AuthInfoFromCtx. Every call but AuthStatus is a command in the Raft log.</summary>
public interface IAuthApi
{
    /// <summary>
    /// etcd's AuthInfoFromCtx: the user of a token (an invalid token is an error the verbs that need a user answer),
    /// else with --client-cert-auth the CN of the verified client certificate, else nobody.
    /// </summary>
    Caller AuthInfoFrom(string? token, string? commonName);

    /// <summary>etcd's isValidSimpleToken wait: a token minted at a Raft index not applied here yet waits for it.</summary>
    Task WaitForTokenAsync(string token, CancellationToken cancellationToken);

    AuthStatusResponse AuthStatus();

    Task<AuthenticateResponse> AuthenticateAsync(AuthenticateRequest request, Caller caller, CancellationToken cancellationToken);

    Task<AuthEnableResponse> AuthEnableAsync(AuthEnableRequest request, Caller caller, CancellationToken cancellationToken);

    Task<AuthDisableResponse> AuthDisableAsync(AuthDisableRequest request, Caller caller, CancellationToken cancellationToken);

    Task<AuthUserAddResponse> UserAddAsync(AuthUserAddRequest request, Caller caller, CancellationToken cancellationToken);

    Task<AuthUserGetResponse> UserGetAsync(AuthUserGetRequest request, Caller caller, CancellationToken cancellationToken);

    Task<AuthUserListResponse> UserListAsync(AuthUserListRequest request, Caller caller, CancellationToken cancellationToken);

    Task<AuthUserDeleteResponse> UserDeleteAsync(AuthUserDeleteRequest request, Caller caller, CancellationToken cancellationToken);

    Task<AuthUserChangePasswordResponse> UserChangePasswordAsync(AuthUserChangePasswordRequest request, Caller caller,
        CancellationToken cancellationToken);

    Task<AuthUserGrantRoleResponse> UserGrantRoleAsync(AuthUserGrantRoleRequest request, Caller caller, CancellationToken cancellationToken);

    Task<AuthUserRevokeRoleResponse> UserRevokeRoleAsync(AuthUserRevokeRoleRequest request, Caller caller, CancellationToken cancellationToken);

    Task<AuthRoleAddResponse> RoleAddAsync(AuthRoleAddRequest request, Caller caller, CancellationToken cancellationToken);

    Task<AuthRoleGetResponse> RoleGetAsync(AuthRoleGetRequest request, Caller caller, CancellationToken cancellationToken);

    Task<AuthRoleListResponse> RoleListAsync(AuthRoleListRequest request, Caller caller, CancellationToken cancellationToken);

    Task<AuthRoleDeleteResponse> RoleDeleteAsync(AuthRoleDeleteRequest request, Caller caller, CancellationToken cancellationToken);

    Task<AuthRoleGrantPermissionResponse> RoleGrantPermissionAsync(AuthRoleGrantPermissionRequest request, Caller caller,
        CancellationToken cancellationToken);

    Task<AuthRoleRevokePermissionResponse> RoleRevokePermissionAsync(AuthRoleRevokePermissionRequest request, Caller caller,
        CancellationToken cancellationToken);
}

/// <summary>etcd's Watchable: watch streams on the engine, and the permission to create a watcher.</summary>
public interface IWatchable
{
    WatchStream NewWatchStream();

    /// <summary>etcd's isWatchPermitted: None, or why the caller may not watch the range.</summary>
    MvccError WatchPermission(WatchCreateRequest request, Caller caller);
}

/// <summary>Version strings this member reports.</summary>
public static class EtcdVersion
{
    /// <summary>The etcd server version KvStore is compatible with (kube-apiserver enables every feature from 3.5.13).</summary>
    public const string Server = "3.5.16";

    /// <summary>The cluster version (major.minor.0), as etcd reports it.</summary>
    public const string Cluster = "3.5.0";
}
