using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Core.Interceptors;
using KvStore.Server;

namespace KvStore.Grpc;

/// <summary>
/// Hands the call's auth token to the member for the duration of the call (etcd reads it from the gRPC context
/// in AuthInfoFromCtx): metadata "token" as clientv3 sends it, else "authorization" as etcd's gateway passes it.
/// The member resolves it only where etcd does, so a bad token fails the calls etcd fails and no others. With
/// --client-cert-auth, the verified client certificate's CN goes with it (the user when there is no token).
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
        RequestAuth.CommonName = CommonNameOf(context);
        return await continuation(request, context).ConfigureAwait(false);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        RequestAuth.Token = await TokenOfAsync(context).ConfigureAwait(false);
        RequestAuth.CommonName = CommonNameOf(context);
        await continuation(request, responseStream, context).ConfigureAwait(false);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        RequestAuth.Token = await TokenOfAsync(context).ConfigureAwait(false);
        RequestAuth.CommonName = CommonNameOf(context);
        return await continuation(requestStream, context).ConfigureAwait(false);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        RequestAuth.Token = await TokenOfAsync(context).ConfigureAwait(false);
        RequestAuth.CommonName = CommonNameOf(context);
        await continuation(requestStream, responseStream, context).ConfigureAwait(false);
    }

    /// <summary>
    /// etcd's AuthInfoFromTLS: with --client-cert-auth, the CN of the certificate the TLS handshake verified. A JSON
    /// gateway request never authenticates by certificate (etcd ignores the CN of its gateway's own connection).
    /// </summary>
    private string? CommonNameOf(ServerCallContext context)
    {
        if (!server.Config.ClientCertAuth || context is Gateway.GatewayCallContext or Embedded.InProcessServerCallContext) return null;
        return context.GetHttpContext().Connection.ClientCertificate?.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
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
