namespace KvStore.Mvcc;

/// <summary>
/// Expected outcomes of the engine that are not a plain success (etcd's sentinel errors). The RPC edge maps
/// each one to etcd's gRPC code and exact message (see <see cref="MvccErrors.Message"/>).
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

public static class MvccErrors
{
    /// <summary>etcd's gRPC error message for each outcome (the text etcdctl prints after "Error: ").</summary>
    public static string Message(MvccError error) => error switch
    {
        MvccError.None => "",
        MvccError.Compacted => "etcdserver: mvcc: required revision has been compacted",
        MvccError.FutureRevision => "etcdserver: mvcc: required revision is a future revision",
        MvccError.LeaseNotFound => "etcdserver: requested lease not found",
        MvccError.LeaseExists => "etcdserver: lease already exists",
        MvccError.LeaseTtlTooLarge => "etcdserver: too large lease TTL",
        MvccError.KeyNotFound => "etcdserver: key not found",
        MvccError.EmptyKey => "etcdserver: key is not provided",
        MvccError.ValueProvided => "etcdserver: value is provided",
        MvccError.LeaseProvided => "etcdserver: lease is provided",
        MvccError.DuplicateKey => "etcdserver: duplicate key given in txn request",
        MvccError.TooManyOps => "etcdserver: too many operations in txn request",
        MvccError.EmptyWatcherRange => "mvcc: watcher range is empty",
        MvccError.DuplicateWatchId => "mvcc: duplicate watch ID provided on the WatchStream",
        MvccError.AlreadyApplied => "command already applied",
        MvccError.AuthRootUserNotExist => "etcdserver: root user does not exist",
        MvccError.AuthRootRoleNotExist => "etcdserver: root user does not have root role",
        MvccError.AuthUserAlreadyExist => "etcdserver: user name already exists",
        MvccError.AuthUserEmpty => "etcdserver: user name is empty",
        MvccError.AuthUserNotFound => "etcdserver: user name not found",
        MvccError.AuthRoleAlreadyExist => "etcdserver: role name already exists",
        MvccError.AuthRoleNotFound => "etcdserver: role name not found",
        MvccError.AuthRoleEmpty => "etcdserver: role name is empty",
        MvccError.AuthFailed => "etcdserver: authentication failed, invalid user ID or password",
        MvccError.AuthNoPasswordUser => "auth: authentication failed, password was given for no password user",
        MvccError.AuthPermissionDenied => "etcdserver: permission denied",
        MvccError.AuthRoleNotGranted => "etcdserver: role is not granted to the user",
        MvccError.AuthPermissionNotGranted => "etcdserver: permission is not granted to the role",
        MvccError.AuthNotEnabled => "etcdserver: authentication is not enabled",
        MvccError.AuthOldRevision => "etcdserver: revision of auth store is old",
        MvccError.AuthInvalidToken => "etcdserver: invalid auth token",
        MvccError.AuthInvalidMgmt => "etcdserver: invalid auth management",
        MvccError.AuthVerifyOnly => "auth: token signing attempted with verify-only key",
        MvccError.AuthSignFailed => "key is invalid",
        _ => error.ToString(),
    };
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

public sealed class MvccException(MvccError error) : Exception(MvccErrors.Message(error))
{
    public MvccError Error { get; } = error;
}
