using Grpc.Core;
using Grpc.Core.Interceptors;
using KvStore.Server;
using Microsoft.Extensions.Logging;

namespace KvStore.Grpc;

/// <summary>
/// etcd's interceptors for clients that call with the metadata "hasleader: true" (clientv3.WithRequireLeader, as
/// etcdctl watch does): while this member has no leader the call fails at once with "etcdserver: no leader".
/// </summary>
public sealed class RequireLeaderInterceptor(IEtcdServer server, ILogger<RequireLeaderInterceptor> logger) : Interceptor
{
    /// <summary>etcd's rpctypes.MetadataRequireLeaderKey and MetadataHasLeader.</summary>
    public const string MetadataKey = "hasleader";
    public const string MetadataValue = "true";

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        if (server.LeaderId != 0) return;
        string? value = context.RequestHeaders.GetValue(MetadataKey);
        if (value != MetadataValue) return;
        Log.NoLeader(logger);
        throw ErrorTable.For(ServerError.NoLeader);
    }
}
