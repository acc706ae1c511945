using Microsoft.Extensions.Logging;

namespace KvStore.ApiServer;

/// <summary>The facade's log messages (source-generated), one class for the assembly as STYLE rule 10 asks.</summary>
internal static partial class Log
{
    // NamespaceController
    [LoggerMessage(Level = LogLevel.Warning, Message = "namespace controller: deleting namespace {Namespace} failed, retrying: {Reason}")]
    public static partial void NamespaceSyncFailed(ILogger logger, string @namespace, string reason, Exception exception);

    // GarbageCollector
    [LoggerMessage(Level = LogLevel.Information, Message = "garbage collector: deleting {Resource} {Namespace}/{Name} ({Policy})")]
    public static partial void GarbageDeleting(ILogger logger, string resource, string @namespace, string name, string policy);

    [LoggerMessage(Level = LogLevel.Warning, Message = "garbage collector: {Work} of {Uid} failed, retrying: {Reason}")]
    public static partial void GarbageRetrying(ILogger logger, string work, string uid, string reason, Exception exception);

    // WatchCache
    [LoggerMessage(Level = LogLevel.Warning, Message = "watch cache {Prefix}: listing again ({Reason})")]
    public static partial void CacheRelisting(ILogger logger, string prefix, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "watch cache: skipping {Key}: {Reason}")]
    public static partial void CacheUndecodable(ILogger logger, string key, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "watch cache {Prefix}: closing a watcher {Capacity} events behind")]
    public static partial void CacheWatcherOverrun(ILogger logger, string prefix, int capacity);

    // CrdController
    [LoggerMessage(Level = LogLevel.Information, Message = "apiserver: serving the custom resources of {Crd} at versions {Versions}")]
    public static partial void ServingCustomResources(ILogger logger, string crd, string versions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "apiserver: reconciling the CustomResourceDefinition {Crd} failed, retrying: {Reason}")]
    public static partial void CrdSyncFailed(ILogger logger, string crd, string reason, Exception exception);

    // CrdFinalizer
    [LoggerMessage(Level = LogLevel.Warning, Message = "CRD finalizer: deleting the custom resources of {Crd} failed, retrying: {Reason}")]
    public static partial void CrdFinalizerFailed(ILogger logger, string crd, string reason, Exception exception);

    // TokenFileAuthenticator
    [LoggerMessage(Level = LogLevel.Warning, Message = "empty token has been found in token file '{Path}', record number '{Record}'")]
    public static partial void EmptyToken(ILogger logger, string path, int record);

    [LoggerMessage(Level = LogLevel.Warning, Message = "duplicate token has been found in token file '{Path}', record number '{Record}'")]
    public static partial void DuplicateToken(ILogger logger, string path, int record);

    // AuthenticationFilter
    [LoggerMessage(Level = LogLevel.Warning, Message = "Unable to authenticate the request: {Error}")]
    public static partial void Unauthenticated(ILogger logger, string error);

    // ApiServerSecurity
    [LoggerMessage(Level = LogLevel.Information, Message = "Generated self-signed cert ({CertFile}, {KeyFile})")]
    public static partial void GeneratedSelfSigned(ILogger logger, string certFile, string keyFile);

    // Compactor
    [LoggerMessage(1, LogLevel.Information, "etcd: compacted rev ({Revision})")]
    public static partial void Compacted(ILogger logger, long revision);

    [LoggerMessage(2, LogLevel.Warning, "etcd: compaction to rev ({Revision}) failed")]
    public static partial void CompactionFailed(ILogger logger, long revision, Exception exception);

    // ApiServer
    [LoggerMessage(Level = LogLevel.Information, Message = "apiserver: namespaces and the kubernetes service are in place; ready")]
    public static partial void Bootstrapped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "apiserver: creating the standing objects failed, retrying: {Reason}")]
    public static partial void BootstrapRetry(ILogger logger, string reason, Exception exception);
}
