using Grpc.Core;
using Grpc.Core.Interceptors;
using KvStore.Server;

namespace KvStore.Grpc;

/// <summary>
/// Hands the call's auth token to the member for the duration of the call (etcd reads it from the gRPC context
/// in AuthInfoFromCtx): metadata "token" as clientv3 sends it, else "authorization" as etcd's gateway passes it.
/// The member resolves it only where etcd does, so a bad token fails the calls etcd fails and no others.
/// A simple token minted at a Raft index this member has not applied yet waits for it first (etcd's
/// isValidSimpleToken waits on the index): a token from one member is good on every member.
/// </summary>
public sealed class AuthTokenInterceptor(IEtcdServer server) : Interceptor
{
    /// <summary>etcd's rpctypes.TokenFieldNameGRPC and TokenFieldNameSwagger.</summary>
    public const string TokenKey = "token";
    public const string AuthorizationKey = "authorization";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        RequestAuth.Token = await TokenOfAsync(context).ConfigureAwait(false);
        return await continuation(request, context).ConfigureAwait(false);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        RequestAuth.Token = await TokenOfAsync(context).ConfigureAwait(false);
        await continuation(request, responseStream, context).ConfigureAwait(false);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        RequestAuth.Token = await TokenOfAsync(context).ConfigureAwait(false);
        return await continuation(requestStream, context).ConfigureAwait(false);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        RequestAuth.Token = await TokenOfAsync(context).ConfigureAwait(false);
        await continuation(requestStream, responseStream, context).ConfigureAwait(false);
    }

    private async Task<string?> TokenOfAsync(ServerCallContext context)
    {
        string? token = context.RequestHeaders.GetValue(TokenKey) ?? context.RequestHeaders.GetValue(AuthorizationKey);
        int dot = token?.LastIndexOf('.') ?? -1;
        if (dot >= 0 && long.TryParse(token.AsSpan(dot + 1), out long index) && index > server.AppliedIndex)
        {
            // Applied once everything committed before this call is: the Authenticate entry was committed before the token was given out.
            await server.ReadIndexAsync(context.CancellationToken).ConfigureAwait(false);
        }
        return token;
    }
}
