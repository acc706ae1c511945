using Grpc.Core;
using Grpc.Core.Interceptors;

namespace KvStore.Cluster.Tests;

/// <summary>
/// Retries a unary call answered "etcdserver: no leader" until its deadline, as clientv3's retry interceptor does
/// (the request never entered Raft, so even a write is safe to resend): a test aimed at one member then survives an
/// election that load on the machine caused, and still sees every other error.
/// </summary>
internal sealed class NoLeaderRetry : Interceptor
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(100);

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        var response = RetryAsync(request, context, continuation);
        return new AsyncUnaryCall<TResponse>(response, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
    }

    private static async Task<TResponse> RetryAsync<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
        where TRequest : class where TResponse : class
    {
        var deadline = context.Options.Deadline ?? DateTime.MaxValue;
        while (true)
        {
            try
            {
                using var call = continuation(request, context);
                return await call.ResponseAsync;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && e.Status.Detail == "etcdserver: no leader"
                                         && DateTime.UtcNow + Pause < deadline)
            {
                await Task.Delay(Pause, context.Options.CancellationToken);
            }
        }
    }
}
