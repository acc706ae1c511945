using System.Threading.Channels;
using Grpc.Core;

namespace KvStore.Grpc.Embedded;

/// <summary>
/// A gRPC <see cref="CallInvoker"/> that hands every call of a generated client straight to the member's services in
/// the same process, through the same interceptors as gRPC (<see cref="EtcdCallHandlers"/>): no socket, no HTTP/2, no
/// serialization (etcd's v3client adapters). Streams are joined by channels; an RpcException reaches the caller unchanged.
/// </summary>
public sealed class InProcessCallInvoker(EtcdCallHandlers handlers) : CallInvoker
{
    private TDelegate Handler<TDelegate>(IMethod method) where TDelegate : Delegate => handlers.Get<TDelegate>(method.FullName);

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options,
        TRequest request) =>
        AsyncUnaryCall(method, host, options, request).ResponseAsync.GetAwaiter().GetResult();

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host,
        CallOptions options, TRequest request)
    {
        var handler = Handler<UnaryServerMethod<TRequest, TResponse>>(method);
        var context = new InProcessServerCallContext(method.FullName, options);
        Task<TResponse> response = Run(() => handler(request, context));
        return new AsyncUnaryCall<TResponse>(response, Task.FromResult(new Metadata()), () => context.CallStatus, () => context.Trailers,
            context.Cancel);
    }

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method,
        string? host, CallOptions options, TRequest request)
    {
        var handler = Handler<ServerStreamingServerMethod<TRequest, TResponse>>(method);
        var context = new InProcessServerCallContext(method.FullName, options);
        var responses = Channel.CreateUnbounded<TResponse>();
        var writer = new ChannelStreamWriter<TResponse>(responses.Writer, context.CancellationToken);
        Complete(responses.Writer, Run(() => handler(request, writer, context)));
        return new AsyncServerStreamingCall<TResponse>(new ChannelStreamReader<TResponse>(responses.Reader), Task.FromResult(new Metadata()),
            () => context.CallStatus, () => context.Trailers, context.Cancel);
    }

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method,
        string? host, CallOptions options)
    {
        var handler = Handler<ClientStreamingServerMethod<TRequest, TResponse>>(method);
        var context = new InProcessServerCallContext(method.FullName, options);
        var requests = Channel.CreateUnbounded<TRequest>();
        Task<TResponse> response = Run(() => handler(new ChannelStreamReader<TRequest>(requests.Reader), context));
        return new AsyncClientStreamingCall<TRequest, TResponse>(new ChannelClientWriter<TRequest>(requests.Writer), response,
            Task.FromResult(new Metadata()), () => context.CallStatus, () => context.Trailers, context.Cancel);
    }

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method,
        string? host, CallOptions options)
    {
        var handler = Handler<DuplexStreamingServerMethod<TRequest, TResponse>>(method);
        var context = new InProcessServerCallContext(method.FullName, options);
        var requests = Channel.CreateUnbounded<TRequest>();
        var responses = Channel.CreateUnbounded<TResponse>();
        Complete(responses.Writer, Run(() => handler(new ChannelStreamReader<TRequest>(requests.Reader),
            new ChannelStreamWriter<TResponse>(responses.Writer, context.CancellationToken), context)));
        return new AsyncDuplexStreamingCall<TRequest, TResponse>(new ChannelClientWriter<TRequest>(requests.Writer),
            new ChannelStreamReader<TResponse>(responses.Reader), Task.FromResult(new Metadata()), () => context.CallStatus,
            () => context.Trailers, context.Cancel);
    }

    /// <summary>Runs a handler off the caller's stack; any exception that is not an RpcException becomes one, as a server would send it.</summary>
    private static async Task Run(Func<Task> handler)
    {
        try
        {
            await Task.Run(handler).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw new RpcException(new Status(e is OperationCanceledException ? StatusCode.Cancelled : StatusCode.Unknown, e.Message));
        }
    }

    private static async Task<T> Run<T>(Func<Task<T>> handler)
    {
        try
        {
            return await Task.Run(handler).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw new RpcException(new Status(e is OperationCanceledException ? StatusCode.Cancelled : StatusCode.Unknown, e.Message));
        }
    }

    private static void Complete<T>(ChannelWriter<T> writer, Task handler) =>
        handler.ContinueWith(t => writer.TryComplete(t.Exception?.InnerException), TaskScheduler.Default);

    private sealed class ChannelStreamReader<T>(ChannelReader<T> reader) : IAsyncStreamReader<T>
    {
        public T Current { get; private set; } = default!;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            try
            {
                if (!await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false)) return false;
            }
            catch (ChannelClosedException e) when (e.InnerException is RpcException rpc)
            {
                throw rpc;
            }
            if (!reader.TryRead(out T? item)) return false;
            Current = item;
            return true;
        }
    }

    private sealed class ChannelStreamWriter<T>(ChannelWriter<T> writer, CancellationToken token) : IServerStreamWriter<T>
    {
        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(T message) => writer.WriteAsync(message, token).AsTask();

        public Task WriteAsync(T message, CancellationToken cancellationToken)
        {
            using var both = CancellationTokenSource.CreateLinkedTokenSource(token, cancellationToken);
            return writer.WriteAsync(message, both.Token).AsTask();
        }
    }

    private sealed class ChannelClientWriter<T>(ChannelWriter<T> writer) : IClientStreamWriter<T>
    {
        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(T message) => writer.WriteAsync(message).AsTask();

        public Task WriteAsync(T message, CancellationToken cancellationToken) => writer.WriteAsync(message, cancellationToken).AsTask();

        public Task CompleteAsync()
        {
            writer.TryComplete();
            return Task.CompletedTask;
        }
    }
}
