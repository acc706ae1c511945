using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Core.Interceptors;
using KvStore.Server;
using Microsoft.Extensions.Logging;

namespace KvStore.Grpc;

/// <summary>
/// etcd's v3rpc interceptors, run alike for gRPC, the JSON gateway and the in-process invoker: the call's credentials
/// (<see cref="CallCredentials"/>), "hasleader" (refused without a leader; a stream is cancelled by
/// <see cref="LeaderMonitor"/>), and the one mapping of a server verb's <see cref="EtcdServerException"/> to etcd's status.
/// </summary>
public sealed class EtcdCallInterceptor(IEtcdServer server, LeaderMonitor leaderMonitor, ILogger<EtcdCallInterceptor> logger)
    : Interceptor
{
    /// <summary>etcd's rpctypes.TokenFieldNameGRPC and TokenFieldNameSwagger.</summary>
    public const string TokenKey = "token";
    public const string AuthorizationKey = "authorization";

    /// <summary>etcd's rpctypes.MetadataRequireLeaderKey and MetadataHasLeader.</summary>
    public const string RequireLeaderKey = "hasleader";
    public const string RequireLeaderValue = "true";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        await BeginAsync(context).ConfigureAwait(false);
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (EtcdServerException e)
        {
            throw ErrorTable.For(e);
        }
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation) =>
        StreamAsync(context, c => continuation(request, responseStream, c));

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        TResponse response = default!;
        await StreamAsync(context, async c => response = await continuation(requestStream, c).ConfigureAwait(false)).ConfigureAwait(false);
        return response;
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        StreamAsync(context, c => continuation(requestStream, responseStream, c));

    /// <summary>
    /// etcd's newStreamInterceptor: a stream that requires a leader runs with a context the leader monitor cancels after
    /// three election timeouts without a leader, and then ends with "etcdserver: no leader". Test: RequireLeaderStreamTests.
    /// </summary>
    private async Task StreamAsync(ServerCallContext context, Func<ServerCallContext, Task> handler)
    {
        await BeginAsync(context).ConfigureAwait(false);
        CancellationToken leaderLost = RequiresLeader(context) ? leaderMonitor.LeaderLost : CancellationToken.None;
        using CancellationTokenSource? both = leaderLost.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, leaderLost)
            : null;
        try
        {
            await handler(both is null ? context : new CancellableCallContext(context, both.Token)).ConfigureAwait(false);
        }
        catch (EtcdServerException e)
        {
            throw ErrorTable.For(e);
        }
        catch (Exception) when (leaderLost.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
        }
        if (leaderLost.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            Log.StreamNoLeader(logger, context.Method);
            throw ErrorTable.For(ServerError.NoLeader);
        }
    }

    /// <summary>The call's credentials, after a token minted at an index not applied here yet; then the hasleader check.</summary>
    private async Task BeginAsync(ServerCallContext context)
    {
        string? token = context.RequestHeaders.GetValue(TokenKey) ?? context.RequestHeaders.GetValue(AuthorizationKey);
        if (token is not null) await server.WaitForTokenAsync(token, context.CancellationToken).ConfigureAwait(false);
        CallCredentials.Set(context, token, CommonNameOf(context));
        if (server.LeaderId == 0 && RequiresLeader(context))
        {
            Log.NoLeader(logger);
            throw ErrorTable.For(ServerError.NoLeader);
        }
    }

    private static bool RequiresLeader(ServerCallContext context) => context.RequestHeaders.GetValue(RequireLeaderKey) == RequireLeaderValue;

    /// <summary>
    /// etcd's AuthInfoFromTLS: with --client-cert-auth, the CN of the certificate the TLS handshake verified. A JSON
    /// gateway request never authenticates by certificate (etcd ignores the CN of its gateway's own connection).
    /// </summary>
    private string? CommonNameOf(ServerCallContext context)
    {
        if (!server.Config.ClientCertAuth || context is Gateway.GatewayCallContext or Embedded.InProcessServerCallContext) return null;
        return context.GetHttpContext().Connection.ClientCertificate?.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
    }
}
