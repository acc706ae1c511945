using Grpc.Core;
using KvStore.Grpc.Decoding;
using KvStore.Mvcc;
using KvStore.Server;

namespace KvStore.Grpc;

/// <summary>Errors only the RPC edge detects: etcd rpctypes errors with no engine or member counterpart.</summary>
public enum RpcError
{
    None = 0,
    /// <summary>etcd 3.5 checkRangeRequest: a sort order or target outside the enum.</summary>
    InvalidSortOption,
    /// <summary>A capability this member does not have yet (member reconfiguration).</summary>
    NotCapable,
    /// <summary>A watch stream ended by the client's cancellation.</summary>
    WatchCanceled,
    /// <summary>v3election: Proclaim or Campaign by a candidate whose key is gone or was created anew (concurrency.ErrElectionNotLeader).</summary>
    ElectionNotLeader,
    /// <summary>v3election: Leader of an election with no candidate (concurrency.ErrElectionNoLeader).</summary>
    ElectionNoLeader,
    /// <summary>v3election: Proclaim or Resign without a leader key (v3election.ErrMissingLeaderKey).</summary>
    MissingLeaderKey,
    /// <summary>v3lock: the lock's own key went with its lease while it waited (etcd 3.5 concurrency.ErrSessionExpired).</summary>
    SessionExpired,
}

/// <summary>
/// The one table from internal outcomes to etcd's gRPC status codes and exact messages (etcd's
/// api/v3rpc/util.go toGRPCErrorMap over api/v3rpc/rpctypes/error.go). Nothing else builds an RpcException.
/// </summary>
public static class ErrorTable
{
    /// <summary>etcd's code and message for an engine outcome.</summary>
    public static (StatusCode Code, string Message) Status(MvccError error) => error switch
    {
        MvccError.EmptyKey => (StatusCode.InvalidArgument, "etcdserver: key is not provided"),
        MvccError.KeyNotFound => (StatusCode.InvalidArgument, "etcdserver: key not found"),
        MvccError.ValueProvided => (StatusCode.InvalidArgument, "etcdserver: value is provided"),
        MvccError.LeaseProvided => (StatusCode.InvalidArgument, "etcdserver: lease is provided"),
        MvccError.TooManyOps => (StatusCode.InvalidArgument, "etcdserver: too many operations in txn request"),
        MvccError.DuplicateKey => (StatusCode.InvalidArgument, "etcdserver: duplicate key given in txn request"),
        MvccError.Compacted => (StatusCode.OutOfRange, "etcdserver: mvcc: required revision has been compacted"),
        MvccError.FutureRevision => (StatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision"),
        MvccError.LeaseNotFound => (StatusCode.NotFound, "etcdserver: requested lease not found"),
        MvccError.LeaseExists => (StatusCode.FailedPrecondition, "etcdserver: lease already exists"),
        MvccError.LeaseTtlTooLarge => (StatusCode.OutOfRange, "etcdserver: too large lease TTL"),
        // Watch creation errors travel as cancel reasons, never as a status; etcd's default would be Unknown.
        MvccError.EmptyWatcherRange => (StatusCode.Unknown, "mvcc: watcher range is empty"),
        MvccError.DuplicateWatchId => (StatusCode.Unknown, "mvcc: duplicate watch ID provided on the WatchStream"),
        // A replayed command never reaches a client; etcd's togRPCError answers Unknown for what it does not map.
        MvccError.AlreadyApplied => (StatusCode.Unknown, "command already applied"),
        // etcd's rpctypes auth errors (api/v3rpc/rpctypes/error.go).
        MvccError.AuthRootUserNotExist => (StatusCode.FailedPrecondition, "etcdserver: root user does not exist"),
        MvccError.AuthRootRoleNotExist => (StatusCode.FailedPrecondition, "etcdserver: root user does not have root role"),
        MvccError.AuthUserAlreadyExist => (StatusCode.FailedPrecondition, "etcdserver: user name already exists"),
        MvccError.AuthUserEmpty => (StatusCode.InvalidArgument, "etcdserver: user name is empty"),
        MvccError.AuthUserNotFound => (StatusCode.FailedPrecondition, "etcdserver: user name not found"),
        MvccError.AuthRoleAlreadyExist => (StatusCode.FailedPrecondition, "etcdserver: role name already exists"),
        MvccError.AuthRoleNotFound => (StatusCode.FailedPrecondition, "etcdserver: role name not found"),
        MvccError.AuthRoleEmpty => (StatusCode.InvalidArgument, "etcdserver: role name is empty"),
        MvccError.AuthFailed => (StatusCode.InvalidArgument, "etcdserver: authentication failed, invalid user ID or password"),
        MvccError.AuthPermissionDenied => (StatusCode.PermissionDenied, "etcdserver: permission denied"),
        MvccError.AuthRoleNotGranted => (StatusCode.FailedPrecondition, "etcdserver: role is not granted to the user"),
        MvccError.AuthPermissionNotGranted => (StatusCode.FailedPrecondition, "etcdserver: permission is not granted to the role"),
        MvccError.AuthNotEnabled => (StatusCode.FailedPrecondition, "etcdserver: authentication is not enabled"),
        MvccError.AuthInvalidToken => (StatusCode.Unauthenticated, "etcdserver: invalid auth token"),
        MvccError.AuthInvalidMgmt => (StatusCode.InvalidArgument, "etcdserver: invalid auth management"),
        MvccError.AuthOldRevision => (StatusCode.InvalidArgument, "etcdserver: revision of auth store is old"),
        // Not in etcd's toGRPCErrorMap: togRPCError sends the auth store's own text as Unknown.
        MvccError.AuthNoPasswordUser => (StatusCode.Unknown, "auth: authentication failed, password was given for no password user"),
        MvccError.AuthVerifyOnly => (StatusCode.Unknown, "auth: token signing attempted with verify-only key"),
        MvccError.AuthSignFailed => (StatusCode.Unknown, "key is invalid"),
        _ => (StatusCode.Unknown, error.ToString()),
    };

    /// <summary>etcd's code and message for a member outcome.</summary>
    public static (StatusCode Code, string Message) Status(ServerError error) => error switch
    {
        ServerError.NoLeader => (StatusCode.Unavailable, "etcdserver: no leader"),
        ServerError.Timeout => (StatusCode.Unavailable, "etcdserver: request timed out"),
        ServerError.Stopped => (StatusCode.Unavailable, "etcdserver: server stopped"),
        ServerError.RequestTooLarge => (StatusCode.InvalidArgument, "etcdserver: request is too large"),
        ServerError.NoSpace => (StatusCode.ResourceExhausted, "etcdserver: mvcc: database space exceeded"),
        ServerError.NotLeader => (StatusCode.FailedPrecondition, "etcdserver: not leader"),
        ServerError.BadLeaderTransferee => (StatusCode.FailedPrecondition, "etcdserver: bad leader transferee"),
        ServerError.MemberNotFound => (StatusCode.NotFound, "etcdserver: member not found"),
        ServerError.Corrupt => (StatusCode.DataLoss, "etcdserver: corrupt cluster"),
        ServerError.MemberExists => (StatusCode.FailedPrecondition, "etcdserver: member ID already exist"),
        ServerError.PeerUrlExists => (StatusCode.FailedPrecondition, "etcdserver: Peer URLs already exists"),
        ServerError.MemberBadUrls => (StatusCode.InvalidArgument, "etcdserver: given member URLs are invalid"),
        ServerError.NotEnoughStartedMembers =>
            (StatusCode.FailedPrecondition, "etcdserver: re-configuration failed due to not enough started members"),
        ServerError.Unhealthy => (StatusCode.Unavailable, "etcdserver: unhealthy cluster"),
        ServerError.MemberNotLearner => (StatusCode.FailedPrecondition, "etcdserver: can only promote a learner member"),
        // No etcd counterpart: the code of etcd's learner errors (ErrGRPCMemberNotLearner, ErrGRPCTooManyLearners).
        ServerError.LearnerNotSupported => (StatusCode.FailedPrecondition,
            "etcdserver: learner members are not supported: kvstore's Raft library (DotNext) has no non-voting members; add a voting member instead"),
        ServerError.LeaderTransferTimeout => (StatusCode.Unknown, // not in etcd's toGRPCErrorMap: sent as Unknown
            "etcdserver: request timed out, leader transfer took too long"),
        ServerError.LeaderChanged => (StatusCode.Unavailable, "etcdserver: leader changed"),
        _ => (StatusCode.Unknown, error.ToString()),
    };

    /// <summary>etcd's code and message for an error the RPC edge detects itself.</summary>
    public static (StatusCode Code, string Message) Status(RpcError error) => error switch
    {
        RpcError.InvalidSortOption => (StatusCode.InvalidArgument, "etcdserver: invalid sort option"),
        RpcError.NotCapable => (StatusCode.Unavailable, "etcdserver: not capable"),
        RpcError.WatchCanceled => (StatusCode.Cancelled, "etcdserver: watch canceled"),
        // Plain Go errors returned by etcd's v3lock and v3election handlers: gRPC sends them as Unknown.
        RpcError.ElectionNotLeader => (StatusCode.Unknown, "election: not leader"),
        RpcError.ElectionNoLeader => (StatusCode.Unknown, "election: no leader"),
        RpcError.MissingLeaderKey => (StatusCode.Unknown, "\"leader\" field must be provided"),
        RpcError.SessionExpired => (StatusCode.Unknown, "session expired"),
        _ => (StatusCode.Unknown, error.ToString()),
    };

    public static RpcException For(MvccError error) => Exception(Status(error));

    public static RpcException For(ServerError error) => Exception(Status(error));

    public static RpcException For(RpcError error) => Exception(Status(error));

    /// <summary>The error a server verb answered: the member's own, else the engine's.</summary>
    public static RpcException For(EtcdServerException error) => Exception(Status(error));

    private static (StatusCode Code, string Message) Status(EtcdServerException error) =>
        error.ServerError != ServerError.None ? Status(error.ServerError) : Status(error.MvccError);

    /// <summary>
    /// An error met by etcd's v3lock or v3election, whose handlers call the member through an in-process clientv3:
    /// the client turns each status into an rpctypes.EtcdError, which gRPC sends back as Unknown with the same
    /// message ("etcdserver: requested lease not found" arrives as Unknown, not NotFound).
    /// </summary>
    public static RpcException ThroughClient(EtcdServerException error) => ThroughClient(Status(error));

    /// <inheritdoc cref="ThroughClient(EtcdServerException)"/>
    public static RpcException ThroughClient(MvccError error) => ThroughClient(Status(error));

    private static RpcException ThroughClient((StatusCode Code, string Message) status) => Exception((StatusCode.Unknown, status.Message));

    /// <summary>
    /// grpc-go's answer to a request message its codec cannot unmarshal: Internal with gogo's error text (worded
    /// otherwise for a message of a stream). A request nested deeper than kvstore takes can only be a txn in txns:
    /// etcd's answer to a txn nested past --max-txn-ops.
    /// </summary>
    public static RpcException Unmarshalling(WireVerdict verdict, bool streaming) => verdict.Error == WireError.TooDeep
        ? For(MvccError.TooManyOps)
        : Exception((StatusCode.Internal,
            (streaming ? "grpc: failed to unmarshal the received message " : "grpc: error unmarshalling request: ") + verdict.Message));

    /// <summary>The text etcd puts in a watch response's cancel_reason for an engine outcome.</summary>
    public static string CancelReason(MvccError error) => Status(error).Message;

    /// <summary>
    /// The text of the gRPC status error itself (Go's status.Error()), which etcd's watch puts in cancel_reason when it
    /// refuses a create for auth: "rpc error: code = PermissionDenied desc = etcdserver: permission denied".
    /// </summary>
    public static string StatusErrorText(MvccError error)
    {
        var (code, message) = Status(error);
        return $"rpc error: code = {code} desc = {message}";
    }

    private static RpcException Exception((StatusCode Code, string Message) status) =>
        new(new Status(status.Code, status.Message), status.Message);
}
