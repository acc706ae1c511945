using Microsoft.Extensions.Logging;

namespace KvStore.Grpc;

/// <summary>The assembly's log messages.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "watch stream closed by the client ({Reason})")]
    public static partial void WatchStreamClosed(ILogger logger, string reason);

    [LoggerMessage(2, LogLevel.Debug, "refused a request that requires a leader: this member has none")]
    public static partial void NoLeader(ILogger logger);

    [LoggerMessage(4, LogLevel.Warning, "cancelled a stream that requires a leader: no leader for three election timeouts ({Method})")]
    public static partial void StreamNoLeader(ILogger logger, string method);

    [LoggerMessage(3, LogLevel.Error, "gateway call {Method} failed")]
    public static partial void GatewayCallFailed(ILogger logger, string method, Exception exception);
}
