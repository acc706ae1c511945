using Etcdserverpb;
using Grpc.Core;
using KvStore.Server;
using Microsoft.Extensions.Logging;

namespace KvStore.Grpc;

/// <summary>
/// etcd's Watch service (api/v3rpc/watch.go): each gRPC stream is one engine watch stream served by a receive
/// loop and a send loop (<see cref="ServerWatchStream"/>).
/// </summary>
public sealed class WatchService(IEtcdServer server, ILogger<WatchService> logger) : Watch.WatchBase
{
    /// <summary>etcd's grpcOverheadBytes: room for gRPC framing above --max-request-bytes.</summary>
    public const int GrpcOverheadBytes = 512 * 1024;

    /// <summary>etcd's minWatchProgressInterval.</summary>
    internal static readonly TimeSpan MinProgressInterval = TimeSpan.FromMilliseconds(100);

    public override async Task Watch(IAsyncStreamReader<WatchRequest> requestStream, IServerStreamWriter<WatchResponse> responseStream,
        ServerCallContext context)
    {
        TimeSpan interval = server.Config.WatchProgressNotifyInterval;
        if (interval < MinProgressInterval) interval = MinProgressInterval;
        // etcd adds up to a tenth of the interval as jitter, so watchers created together do not report together.
        interval += TimeSpan.FromTicks(Random.Shared.NextInt64(Math.Max(1, interval.Ticks / 10)));
        var stream = new ServerWatchStream(server, context, responseStream, server.Config.MaxRequestBytes + GrpcOverheadBytes, interval, logger);
        await stream.RunAsync(requestStream, context.CancellationToken).ConfigureAwait(false);
    }
}
