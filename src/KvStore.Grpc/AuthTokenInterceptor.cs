using Grpc.Core;
using Grpc.Core.Interceptors;
using KvStore.Server;

namespace KvStore.Grpc;

/// <summary>
/// Hands the call's auth token to the member for the duration of the call (etcd reads it from the gRPC context
/// in AuthInfoFromCtx): metadata "token" as clientv3 sends it, else "authorization" as etcd's gateway passes it.
/// The member resolves it only where etcd does, so a bad token fails the calls etcd fails and no others.
/// </summary>
public sealed class AuthTokenInterceptor : Interceptor
{
    /// <summary>etcd's rpctypes.TokenFieldNameGRPC and TokenFieldNameSwagger.</summary>
    public const string TokenKey = "token";
    public const string AuthorizationKey = "authorization";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        RequestAuth.Token = TokenOf(context);
        return await continuation(request, context).ConfigureAwait(false);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        RequestAuth.Token = TokenOf(context);
        await continuation(request, responseStream, context).ConfigureAwait(false);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        RequestAuth.Token = TokenOf(context);
        return await continuation(requestStream, context).ConfigureAwait(false);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        RequestAuth.Token = TokenOf(context);
        await continuation(requestStream, responseStream, context).ConfigureAwait(false);
    }

    private static string? TokenOf(ServerCallContext context) =>
        context.RequestHeaders.GetValue(TokenKey) ?? context.RequestHeaders.GetValue(AuthorizationKey);
}
