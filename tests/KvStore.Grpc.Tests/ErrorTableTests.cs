using Grpc.Core;
using KvStore.Mvcc;
using KvStore.Server;

namespace KvStore.Grpc.Tests;

/// <summary>The error table against etcd's rpctypes/error.go, entry by entry.</summary>
public class ErrorTableTests
{
    public static TheoryData<MvccError, StatusCode, string> MvccErrors => new()
    {
        { MvccError.EmptyKey, StatusCode.InvalidArgument, "etcdserver: key is not provided" },
        { MvccError.KeyNotFound, StatusCode.InvalidArgument, "etcdserver: key not found" },
        { MvccError.ValueProvided, StatusCode.InvalidArgument, "etcdserver: value is provided" },
        { MvccError.LeaseProvided, StatusCode.InvalidArgument, "etcdserver: lease is provided" },
        { MvccError.TooManyOps, StatusCode.InvalidArgument, "etcdserver: too many operations in txn request" },
        { MvccError.DuplicateKey, StatusCode.InvalidArgument, "etcdserver: duplicate key given in txn request" },
        { MvccError.Compacted, StatusCode.OutOfRange, "etcdserver: mvcc: required revision has been compacted" },
        { MvccError.FutureRevision, StatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision" },
        { MvccError.LeaseNotFound, StatusCode.NotFound, "etcdserver: requested lease not found" },
        { MvccError.LeaseExists, StatusCode.FailedPrecondition, "etcdserver: lease already exists" },
        { MvccError.LeaseTtlTooLarge, StatusCode.OutOfRange, "etcdserver: too large lease TTL" },
        { MvccError.EmptyWatcherRange, StatusCode.Unknown, "mvcc: watcher range is empty" },
        { MvccError.DuplicateWatchId, StatusCode.Unknown, "mvcc: duplicate watch ID provided on the WatchStream" },
        { MvccError.AlreadyApplied, StatusCode.Unknown, "command already applied" },
        { MvccError.AuthRootUserNotExist, StatusCode.FailedPrecondition, "etcdserver: root user does not exist" },
        { MvccError.AuthRootRoleNotExist, StatusCode.FailedPrecondition, "etcdserver: root user does not have root role" },
        { MvccError.AuthUserAlreadyExist, StatusCode.FailedPrecondition, "etcdserver: user name already exists" },
        { MvccError.AuthUserEmpty, StatusCode.InvalidArgument, "etcdserver: user name is empty" },
        { MvccError.AuthUserNotFound, StatusCode.FailedPrecondition, "etcdserver: user name not found" },
        { MvccError.AuthRoleAlreadyExist, StatusCode.FailedPrecondition, "etcdserver: role name already exists" },
        { MvccError.AuthRoleNotFound, StatusCode.FailedPrecondition, "etcdserver: role name not found" },
        { MvccError.AuthRoleEmpty, StatusCode.InvalidArgument, "etcdserver: role name is empty" },
        { MvccError.AuthFailed, StatusCode.InvalidArgument, "etcdserver: authentication failed, invalid user ID or password" },
        { MvccError.AuthNoPasswordUser, StatusCode.Unknown, "auth: authentication failed, password was given for no password user" },
        { MvccError.AuthPermissionDenied, StatusCode.PermissionDenied, "etcdserver: permission denied" },
        { MvccError.AuthRoleNotGranted, StatusCode.FailedPrecondition, "etcdserver: role is not granted to the user" },
        { MvccError.AuthPermissionNotGranted, StatusCode.FailedPrecondition, "etcdserver: permission is not granted to the role" },
        { MvccError.AuthNotEnabled, StatusCode.FailedPrecondition, "etcdserver: authentication is not enabled" },
        { MvccError.AuthOldRevision, StatusCode.InvalidArgument, "etcdserver: revision of auth store is old" },
        { MvccError.AuthInvalidToken, StatusCode.Unauthenticated, "etcdserver: invalid auth token" },
        { MvccError.AuthInvalidMgmt, StatusCode.InvalidArgument, "etcdserver: invalid auth management" },
        // etcd's togRPCError: errors outside toGRPCErrorMap travel as Unknown with their own text.
        { MvccError.AuthVerifyOnly, StatusCode.Unknown, "auth: token signing attempted with verify-only key" },
        { MvccError.AuthSignFailed, StatusCode.Unknown, "key is invalid" },
    };

    public static TheoryData<ServerError, StatusCode, string> ServerErrors => new()
    {
        { ServerError.NoLeader, StatusCode.Unavailable, "etcdserver: no leader" },
        { ServerError.Timeout, StatusCode.Unavailable, "etcdserver: request timed out" },
        { ServerError.Stopped, StatusCode.Unavailable, "etcdserver: server stopped" },
        { ServerError.RequestTooLarge, StatusCode.InvalidArgument, "etcdserver: request is too large" },
        { ServerError.NoSpace, StatusCode.ResourceExhausted, "etcdserver: mvcc: database space exceeded" },
        { ServerError.NotLeader, StatusCode.FailedPrecondition, "etcdserver: not leader" },
        { ServerError.BadLeaderTransferee, StatusCode.FailedPrecondition, "etcdserver: bad leader transferee" },
        { ServerError.MemberNotFound, StatusCode.NotFound, "etcdserver: member not found" },
        { ServerError.Corrupt, StatusCode.DataLoss, "etcdserver: corrupt cluster" },
        { ServerError.MemberExists, StatusCode.FailedPrecondition, "etcdserver: member ID already exist" },
        { ServerError.PeerUrlExists, StatusCode.FailedPrecondition, "etcdserver: Peer URLs already exists" },
        { ServerError.MemberBadUrls, StatusCode.InvalidArgument, "etcdserver: given member URLs are invalid" },
        { ServerError.NotEnoughStartedMembers, StatusCode.FailedPrecondition, "etcdserver: re-configuration failed due to not enough started members" },
        { ServerError.Unhealthy, StatusCode.Unavailable, "etcdserver: unhealthy cluster" },
        { ServerError.MemberNotLearner, StatusCode.FailedPrecondition, "etcdserver: can only promote a learner member" },
        { ServerError.LearnerNotSupported, StatusCode.FailedPrecondition,
            "etcdserver: learner members are not supported: kvstore's Raft library (DotNext) has no non-voting members; add a voting member instead" },
        { ServerError.LeaderTransferTimeout, StatusCode.Unknown, "etcdserver: request timed out, leader transfer took too long" },
        { ServerError.LeaderChanged, StatusCode.Unavailable, "etcdserver: leader changed" },
    };

    public static TheoryData<RpcError, StatusCode, string> RpcErrors => new()
    {
        { RpcError.InvalidSortOption, StatusCode.InvalidArgument, "etcdserver: invalid sort option" },
        { RpcError.NotCapable, StatusCode.Unavailable, "etcdserver: not capable" },
        { RpcError.WatchCanceled, StatusCode.Cancelled, "etcdserver: watch canceled" },
        { RpcError.ElectionNotLeader, StatusCode.Unknown, "election: not leader" },
        { RpcError.ElectionNoLeader, StatusCode.Unknown, "election: no leader" },
        { RpcError.MissingLeaderKey, StatusCode.Unknown, "\"leader\" field must be provided" },
        { RpcError.SessionExpired, StatusCode.Unknown, "session expired" },
    };

    [Theory]
    [MemberData(nameof(MvccErrors))]
    public void EngineErrors(MvccError error, StatusCode code, string message)
    {
        RpcException e = ErrorTable.For(error);
        Assert.Equal(code, e.StatusCode);
        Assert.Equal(message, e.Status.Detail);
    }

    [Theory]
    [MemberData(nameof(ServerErrors))]
    public void MemberErrors(ServerError error, StatusCode code, string message)
    {
        RpcException e = ErrorTable.For(error);
        Assert.Equal(code, e.StatusCode);
        Assert.Equal(message, e.Status.Detail);
    }

    [Theory]
    [MemberData(nameof(RpcErrors))]
    public void EdgeErrors(RpcError error, StatusCode code, string message)
    {
        RpcException e = ErrorTable.For(error);
        Assert.Equal(code, e.StatusCode);
        Assert.Equal(message, e.Status.Detail);
    }

    [Fact]
    public void EveryErrorValueHasAnEntry()
    {
        // A new enum value must be added to the table (and to the rows above), never fall to the default.
        Assert.Equal(Enum.GetValues<MvccError>().Where(e => e != MvccError.None).Order(), MvccErrors.Select(r => (MvccError)r[0]).Order());
        Assert.Equal(Enum.GetValues<ServerError>().Where(e => e != ServerError.None).Order(), ServerErrors.Select(r => (ServerError)r[0]).Order());
        Assert.Equal(Enum.GetValues<RpcError>().Where(e => e != RpcError.None).Order(), RpcErrors.Select(r => (RpcError)r[0]).Order());
    }

    [Fact]
    public void AFailedProposalReportsTheMemberErrorFirst()
    {
        Assert.Equal(StatusCode.ResourceExhausted, ErrorTable.For(Failure(new ProposeResult(null, MvccError.LeaseNotFound, ServerError.NoSpace))).StatusCode);
        Assert.Equal(StatusCode.NotFound, ErrorTable.For(Failure(new ProposeResult(null, MvccError.LeaseNotFound))).StatusCode);
    }

    [Fact]
    public void ErrorsThroughEtcdsInProcessClient_KeepTheMessageAsUnknown()
    {
        // etcd 3.4.23's lock server answers a Lock on a missing lease with Unknown "etcdserver: requested lease not found".
        RpcException e = ErrorTable.ThroughClient(Failure(new ProposeResult(null, MvccError.LeaseNotFound)));
        Assert.Equal((StatusCode.Unknown, "etcdserver: requested lease not found"), (e.StatusCode, e.Status.Detail));
        e = ErrorTable.ThroughClient(Failure(new ProposeResult(null, MvccError.None, ServerError.NoSpace)));
        Assert.Equal((StatusCode.Unknown, "etcdserver: mvcc: database space exceeded"), (e.StatusCode, e.Status.Detail));
        e = ErrorTable.ThroughClient(new EtcdServerException(ServerError.NoLeader));
        Assert.Equal((StatusCode.Unknown, "etcdserver: no leader"), (e.StatusCode, e.Status.Detail));
    }

    /// <summary>What a server verb throws for a failed proposal.</summary>
    private static EtcdServerException Failure(ProposeResult result) =>
        Assert.Throws<EtcdServerException>(() => EtcdServerException.Unwrap<Etcdserverpb.PutResponse>(result));
}
