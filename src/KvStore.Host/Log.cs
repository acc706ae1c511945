using Microsoft.Extensions.Logging;

namespace KvStore.Host;

/// <summary>The host's log messages (source-generated).</summary>
internal static partial class Log
{
    [LoggerMessage(Message = "{Message}")]
    public static partial void Note(ILogger logger, LogLevel level, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "starting member {Name} in data dir {DataDir} (etcd {EtcdVersion} compatible)")]
    public static partial void Starting(ILogger logger, string name, string dataDir, string etcdVersion);

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

    [LoggerMessage(Level = LogLevel.Critical, Message = "failed to start the member")]
    public static partial void StartFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "failed to serve client requests")]
    public static partial void ListenFailed(ILogger logger, Exception exception);

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
