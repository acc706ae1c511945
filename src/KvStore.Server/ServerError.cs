namespace KvStore.Server;

/// <summary>
/// Outcomes of the member itself (not of the engine): etcd's etcdserver errors. The RPC edge maps each one,
/// with <see cref="KvStore.Mvcc.MvccError"/>, to etcd's gRPC code and exact message.
/// </summary>
public enum ServerError
{
    None = 0,
    /// <summary>etcdserver: no leader (Unavailable).</summary>
    NoLeader,
    /// <summary>etcdserver: request timed out (Unavailable).</summary>
    Timeout,
    /// <summary>etcdserver: server stopped (Unavailable).</summary>
    Stopped,
    /// <summary>etcdserver: request is too large (InvalidArgument).</summary>
    RequestTooLarge,
    /// <summary>etcdserver: mvcc: database space exceeded (ResourceExhausted) — the NOSPACE alarm is active.</summary>
    NoSpace,
    /// <summary>etcdserver: not leader (FailedPrecondition).</summary>
    NotLeader,
    /// <summary>etcdserver: bad leader transferee (FailedPrecondition).</summary>
    BadLeaderTransferee,
    /// <summary>etcdserver: member not found (NotFound).</summary>
    MemberNotFound,
    /// <summary>etcdserver: corrupt cluster (DataLoss).</summary>
    Corrupt,
    /// <summary>etcdserver: member ID already exist (FailedPrecondition).</summary>
    MemberExists,
    /// <summary>etcdserver: Peer URLs already exists (FailedPrecondition).</summary>
    PeerUrlExists,
    /// <summary>etcdserver: given member URLs are invalid (InvalidArgument).</summary>
    MemberBadUrls,
    /// <summary>etcdserver: re-configuration failed due to not enough started members (FailedPrecondition).</summary>
    NotEnoughStartedMembers,
    /// <summary>etcdserver: unhealthy cluster (Unavailable).</summary>
    Unhealthy,
    /// <summary>etcdserver: can only promote a learner member (FailedPrecondition): every member here votes.</summary>
    MemberNotLearner,
    /// <summary>A learner was asked for: DotNext's Raft has no non-voting members (FailedPrecondition).</summary>
    LearnerNotSupported,
    /// <summary>etcdserver: request timed out, leader transfer took too long (Unknown, as etcd sends it).</summary>
    LeaderTransferTimeout,
    /// <summary>etcdserver: leader changed (Unavailable): the leader went away while a forwarded request was in flight.</summary>
    LeaderChanged,
}
