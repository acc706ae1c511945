namespace KvStore.Mvcc;

/// <summary>
/// Expected outcomes of the engine that are not a plain success (etcd's sentinel errors). The RPC edge maps
/// each one to etcd's gRPC code and exact message (KvStore.Grpc's ErrorTable, the one message table).
/// </summary>
public enum MvccError
{
    None = 0,
    /// <summary>mvcc: required revision has been compacted.</summary>
    Compacted,
    /// <summary>mvcc: required revision is a future revision.</summary>
    FutureRevision,
    /// <summary>lease not found.</summary>
    LeaseNotFound,
    /// <summary>lease already exists.</summary>
    LeaseExists,
    /// <summary>too large lease TTL.</summary>
    LeaseTtlTooLarge,
    /// <summary>key not found (ignore_value / ignore_lease on a missing key).</summary>
    KeyNotFound,
    /// <summary>key is not provided.</summary>
    EmptyKey,
    /// <summary>value is provided (with ignore_value).</summary>
    ValueProvided,
    /// <summary>lease is provided (with ignore_lease).</summary>
    LeaseProvided,
    /// <summary>duplicate key given in txn request.</summary>
    DuplicateKey,
    /// <summary>too many operations in txn request.</summary>
    TooManyOps,
    /// <summary>watcher range is empty (range_end not after key).</summary>
    EmptyWatcherRange,
    /// <summary>duplicate watch id on one stream.</summary>
    DuplicateWatchId,
    /// <summary>the command was at or below the consistent index and was not applied again.</summary>
    AlreadyApplied,

    // etcd's auth store errors (auth/store.go), in its order.
    /// <summary>root user does not exist (AuthEnable without root).</summary>
    AuthRootUserNotExist,
    /// <summary>root user does not have root role.</summary>
    AuthRootRoleNotExist,
    /// <summary>user name already exists.</summary>
    AuthUserAlreadyExist,
    /// <summary>user name is empty (also: a request without a token while auth is enabled).</summary>
    AuthUserEmpty,
    /// <summary>user name not found.</summary>
    AuthUserNotFound,
    /// <summary>role name already exists.</summary>
    AuthRoleAlreadyExist,
    /// <summary>role name not found.</summary>
    AuthRoleNotFound,
    /// <summary>role name is empty.</summary>
    AuthRoleEmpty,
    /// <summary>authentication failed, invalid user ID or password.</summary>
    AuthFailed,
    /// <summary>authentication failed, password was given for no password user.</summary>
    AuthNoPasswordUser,
    /// <summary>permission denied.</summary>
    AuthPermissionDenied,
    /// <summary>role is not granted to the user.</summary>
    AuthRoleNotGranted,
    /// <summary>permission is not granted to the role.</summary>
    AuthPermissionNotGranted,
    /// <summary>authentication is not enabled.</summary>
    AuthNotEnabled,
    /// <summary>revision of auth store is old.</summary>
    AuthOldRevision,
    /// <summary>invalid auth token.</summary>
    AuthInvalidToken,
    /// <summary>invalid auth management (deleting root while enabled, revoking root's root role...).</summary>
    AuthInvalidMgmt,
    /// <summary>an Authenticate on a member whose JWT key is public only (etcd's auth.ErrVerifyOnly).</summary>
    AuthVerifyOnly,
    /// <summary>the JWT key does not fit the sign method (golang-jwt's ErrInvalidKey).</summary>
    AuthSignFailed,
}

/// <summary>A response or an expected error. <see cref="Response"/> is null exactly when <see cref="Error"/> is set.</summary>
public readonly record struct MvccResult<T>(T? Response, MvccError Error) where T : class
{
    public bool Ok => Error == MvccError.None;

    public static implicit operator MvccResult<T>(T response) => new(response, MvccError.None);
    public static implicit operator MvccResult<T>(MvccError error) => new(null, error);

    /// <summary>The response, or an exception naming the error (for callers that treat errors as bugs).</summary>
    public T Value => Response ?? throw new MvccException(Error);
}

/// <summary>An engine outcome treated as a bug by its caller; named by its enum value (the RPC edge has etcd's messages).</summary>
public sealed class MvccException(MvccError error) : Exception("mvcc: " + error)
{
    public MvccError Error { get; } = error;
}
