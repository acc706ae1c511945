using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Prometheus;

namespace KvStore.Host.Metrics;

/// <summary>
/// Counts RPCs as go-grpc-prometheus does for etcd: grpc_server_started_total, grpc_server_handled_total
/// (with grpc_code), grpc_server_msg_received_total and grpc_server_msg_sent_total, labelled with grpc_type
/// (unary, client_stream, server_stream, bidi_stream), grpc_service (etcdserverpb.KV) and grpc_method (Range).
/// </summary>
internal sealed class GrpcMetricsInterceptor(EtcdMetrics metrics) : Interceptor
{
    private const string Unary = "unary";
    private const string ClientStream = "client_stream";
    private const string ServerStream = "server_stream";
    private const string BidiStream = "bidi_stream";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var call = Start(Unary, context);
        call.Received.Inc();
        try
        {
            var response = await continuation(request, context).ConfigureAwait(false);
            call.Sent.Inc();
            call.Handled(context.Status.StatusCode);
            return response;
        }
        catch (Exception e)
        {
            call.Handled(CodeOf(e, context));
            throw;
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var call = Start(ClientStream, context);
        try
        {
            var response = await continuation(new CountingReader<TRequest>(requestStream, call.Received), context).ConfigureAwait(false);
            call.Sent.Inc();
            call.Handled(context.Status.StatusCode);
            return response;
        }
        catch (Exception e)
        {
            call.Handled(CodeOf(e, context));
            throw;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var call = Start(ServerStream, context);
        call.Received.Inc();
        try
        {
            await continuation(request, new CountingWriter<TResponse>(responseStream, call.Sent), context).ConfigureAwait(false);
            call.Handled(context.Status.StatusCode);
        }
        catch (Exception e)
        {
            call.Handled(CodeOf(e, context));
            throw;
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var call = Start(BidiStream, context);
        try
        {
            await continuation(new CountingReader<TRequest>(requestStream, call.Received), new CountingWriter<TResponse>(responseStream, call.Sent),
                context).ConfigureAwait(false);
            call.Handled(context.Status.StatusCode);
        }
        catch (Exception e)
        {
            call.Handled(CodeOf(e, context));
            throw;
        }
    }

    // One entry per (type, method) seen: the label children are looked up once, not four times a call (those lookups,
    // two substrings and code.ToString() per call were ~3% of a serializable range's server CPU).
    private readonly ConcurrentDictionary<(string Type, string Method), Call> _calls = new();

    private Call Start(string type, ServerCallContext context)
    {
        var key = (type, context.Method);
        if (!_calls.TryGetValue(key, out var call))
        {
            call = _calls.GetOrAdd(key, static (k, m) => Call.Create(m, k.Type, k.Method), metrics);
        }
        call.Started.Inc();
        return call;
    }

    private static StatusCode CodeOf(Exception e, ServerCallContext context) => e switch
    {
        RpcException rpc => rpc.StatusCode,
        OperationCanceledException when context.CancellationToken.IsCancellationRequested => StatusCode.Cancelled,
        _ => StatusCode.Unknown,
    };

    /// <summary>Go's codes.Code names (grpc-go spells Cancelled "Canceled").</summary>
    internal static string CodeName(StatusCode code) => code switch
    {
        StatusCode.Cancelled => "Canceled",
        _ => code.ToString(),
    };

    /// <summary>The counters of one (type, method); grpc_server_handled_total's children by code, filled on first use.</summary>
    private sealed class Call(EtcdMetrics metrics, string type, string service, string method)
    {
        private readonly Counter.Child?[] _handled = new Counter.Child?[(int)StatusCode.Unauthenticated + 1];

        public Counter.Child Started { get; } = metrics.GrpcStarted.WithLabels(type, service, method);

        public Counter.Child Received { get; } = metrics.GrpcReceived.WithLabels(type, service, method);

        public Counter.Child Sent { get; } = metrics.GrpcSent.WithLabels(type, service, method);

        /// <summary><paramref name="path"/> is context.Method, "/etcdserverpb.KV/Range".</summary>
        public static Call Create(EtcdMetrics metrics, string type, string path)
        {
            var trimmed = path.AsSpan().TrimStart('/');
            var slash = trimmed.IndexOf('/');
            var service = slash < 0 ? trimmed.ToString() : trimmed[..slash].ToString();
            var method = slash < 0 ? "" : trimmed[(slash + 1)..].ToString();
            return new Call(metrics, type, service, method);
        }

        public void Handled(StatusCode code)
        {
            var index = (int)code;
            if ((uint)index >= (uint)_handled.Length)
            {
                metrics.GrpcHandled.WithLabels(type, service, method, CodeName(code)).Inc();
                return;
            }
            var child = Volatile.Read(ref _handled[index]);
            if (child is null)
            {
                child = metrics.GrpcHandled.WithLabels(type, service, method, CodeName(code));
                Volatile.Write(ref _handled[index], child);
            }
            child.Inc();
        }
    }

    private sealed class CountingReader<T>(IAsyncStreamReader<T> inner, Counter.Child received) : IAsyncStreamReader<T>
    {
        public T Current => inner.Current;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            var more = await inner.MoveNext(cancellationToken).ConfigureAwait(false);
            if (more)
            {
                received.Inc();
            }
            return more;
        }
    }

    private sealed class CountingWriter<T>(IServerStreamWriter<T> inner, Counter.Child sent) : IServerStreamWriter<T>
    {
        public WriteOptions? WriteOptions
        {
            get => inner.WriteOptions;
            set => inner.WriteOptions = value;
        }

        public async Task WriteAsync(T message)
        {
            await inner.WriteAsync(message).ConfigureAwait(false);
            sent.Inc();
        }

        public async Task WriteAsync(T message, CancellationToken cancellationToken)
        {
            await inner.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            sent.Inc();
        }
    }
}
