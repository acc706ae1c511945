using Microsoft.Extensions.Logging;

namespace KvStore.Host;

/// <summary>The host's log messages (source-generated).</summary>
internal static partial class Log
{
    [LoggerMessage(Message = "{Message}")]
    public static partial void Note(ILogger logger, LogLevel level, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "starting member {Name} in data dir {DataDir} (etcd {EtcdVersion} compatible)")]
    public static partial void Starting(ILogger logger, string name, string dataDir, string etcdVersion);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "{Variable}=1: failpoints {Names} can be armed at /debug/failpoints/NAME on the client URLs; for tests only")]
    public static partial void FailpointsOn(ILogger logger, string variable, string names);

    [LoggerMessage(Level = LogLevel.Warning, Message = "serving client traffic insecurely on {Address}; this is strongly discouraged!")]
    public static partial void ServingInsecurely(ILogger logger, string address);

    [LoggerMessage(Level = LogLevel.Information, Message = "serving client traffic securely on {Address}")]
    public static partial void ServingSecurely(ILogger logger, string address);

    [LoggerMessage(Level = LogLevel.Critical, Message = "{Message}")]
    public static partial void TlsFailed(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "serving metrics and health on {Address}")]
    public static partial void ServingMetrics(ILogger logger, string address);

    [LoggerMessage(Level = LogLevel.Information, Message = "ready to serve client requests")]
    public static partial void Ready(ILogger logger);

    /// <summary>A failed start in one line, in etcd's words ("cannot access data directory: mkdir D: permission denied").</summary>
    [LoggerMessage(Level = LogLevel.Critical, Message = "{Error}")]
    public static partial void StartFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "the failed start in detail")]
    public static partial void StartFailedDetail(ILogger logger, Exception exception);

    /// <summary>etcd's two warnings when its backend file stays flocked for 10 s (etcdserver/backend.go); it waits on.</summary>
    public static void FileLockHeld(ILogger logger, string path)
    {
        FileLocked(logger, path);
        WaitingForLock(logger);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "another etcd process is using \"{Path}\" and holds the file lock, or loading backend file is taking >10 seconds")]
    private static partial void FileLocked(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "waiting for it to exit before starting...")]
    private static partial void WaitingForLock(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "data dir {DataDir} holds an etcd member; importing it")]
    public static partial void ImportingEtcdDataDir(ILogger logger, string dataDir);

    public static void ImportedEtcdDataDir(ILogger logger, KvStore.Server.EtcdDataDir.EtcdImportSummary s) =>
        ImportedEtcdDataDir(logger, s.MemberId, s.ClusterId, s.Members, s.Revision, s.CompactRevision, s.Leases, s.Users, s.Roles, s.AuthEnabled,
            s.ConsistentIndex, s.WalEntriesApplied, s.EtcdFilesDir);

    [LoggerMessage(Level = LogLevel.Information, Message =
        "imported the etcd member: member id {MemberId:x16}, cluster id {ClusterId:x16}, {Members} members, revision {Revision}, " +
        "compact revision {CompactRevision}, {Leases} leases, {Users} users, {Roles} roles, auth enabled {AuthEnabled}; " +
        "backend at raft index {ConsistentIndex} plus {WalEntries} WAL entries applied; etcd's files kept in {EtcdFiles}")]
    private static partial void ImportedEtcdDataDir(ILogger logger, ulong memberId, ulong clusterId, int members, long revision, long compactRevision,
        int leases, int users, int roles, bool authEnabled, ulong consistentIndex, int walEntries, string etcdFiles);

    [LoggerMessage(Level = LogLevel.Information, Message = "received a stop signal; shutting down the member")]
    public static partial void Stopping(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "received a stop signal; shutting down the apiserver")]
    public static partial void ApiServerStopping(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "stopped the member")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "serving /health false; {Reason}")]
    public static partial void HealthFalse(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "serving the apiserver facade (Kubernetes REST API) on {Url}")]
    public static partial void ServingApiServer(ILogger logger, string url);

    [LoggerMessage(Level = LogLevel.Critical, Message = "failed to serve the apiserver facade")]
    public static partial void ApiServerFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "failed to serve the apiserver facade: {Error}")]
    public static partial void ApiServerConfigFailed(ILogger logger, string error);
}
