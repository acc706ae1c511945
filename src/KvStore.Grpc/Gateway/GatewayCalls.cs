using System.Buffers;
using Google.Protobuf;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KvStore.Grpc.Gateway;

/// <summary>
/// Request handlers for the three kinds of gateway call (grpc-gateway's request_X and forward functions): decode
/// the body, call the method through the interceptors (<see cref="EtcdCallHandlers"/>), write the JSON answer or the error.
/// </summary>
internal static class GatewayCalls
{
    public const string JsonContentType = "application/json";

    /// <summary>What grpc-dotnet answers for an exception that is no RpcException.</summary>
    private const string HandlerException = "Exception was thrown by handler.";

    public static RequestDelegate Unary<TRequest, TResponse>(string path)
        where TRequest : class, IMessage<TRequest>, new() where TResponse : class, IMessage<TResponse>
    {
        return Handle;

        async Task Handle(HttpContext http)
        {
            var context = new GatewayCallContext(http, path);
            TResponse response;
            try
            {
                TRequest request;
                try
                {
                    request = await Requests(http).ReadAsync<TRequest>(http.RequestAborted).ConfigureAwait(false) ?? new TRequest();
                }
                catch (GatewayDecodeException e)
                {
                    await WriteErrorAsync(http, new Status(StatusCode.InvalidArgument, e.Message)).ConfigureAwait(false);
                    return;
                }
                response = await Handler<UnaryServerMethod<TRequest, TResponse>>(http, path)(request, context).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                if (Failure(http, path, e) is { } status) await WriteErrorAsync(http, status).ConfigureAwait(false);
                return;
            }
            var buffer = new ArrayBufferWriter<byte>();
            GatewayJsonWriter.WriteMessage(buffer, response);
            http.Response.ContentType = JsonContentType;
            context.AddResponseHeaders(http.Response.Headers);
            http.Response.ContentLength = buffer.WrittenCount;
            await http.Response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted).ConfigureAwait(false);
        }
    }

    public static RequestDelegate ServerStreaming<TRequest, TResponse>(string path)
        where TRequest : class, IMessage<TRequest>, new() where TResponse : class, IMessage<TResponse>
    {
        return Handle;

        async Task Handle(HttpContext http)
        {
            var context = new GatewayCallContext(http, path);
            var writer = new GatewayStreamWriter<TResponse>(http, context);
            try
            {
                TRequest request;
                try
                {
                    request = await Requests(http).ReadAsync<TRequest>(http.RequestAborted).ConfigureAwait(false) ?? new TRequest();
                }
                catch (GatewayDecodeException e)
                {
                    await WriteErrorAsync(http, new Status(StatusCode.InvalidArgument, e.Message)).ConfigureAwait(false);
                    return;
                }
                await Handler<ServerStreamingServerMethod<TRequest, TResponse>>(http, path)(request, writer, context).ConfigureAwait(false);
                writer.CompleteEmpty();
            }
            catch (Exception e)
            {
                if (Failure(http, path, e) is { } status) await writer.FailAsync(status).ConfigureAwait(false);
            }
        }
    }

    public static RequestDelegate Duplex<TRequest, TResponse>(string path)
        where TRequest : class, IMessage<TRequest>, new() where TResponse : class, IMessage<TResponse>
    {
        return Handle;

        async Task Handle(HttpContext http)
        {
            var context = new GatewayCallContext(http, path);
            var writer = new GatewayStreamWriter<TResponse>(http, context);
            try
            {
                GatewayRequests requests = Requests(http);
                TRequest? first;
                try
                {
                    // grpc-gateway decodes the first message before it opens the stream: a body that does not
                    // decode fails the call as Unknown; an empty body opens a stream whose client side is closed.
                    first = await requests.ReadAsync<TRequest>(http.RequestAborted).ConfigureAwait(false);
                }
                catch (GatewayDecodeException e)
                {
                    await WriteErrorAsync(http, new Status(StatusCode.Unknown, e.Message)).ConfigureAwait(false);
                    return;
                }
                var reader = new GatewayStreamReader<TRequest>(requests, first);
                await Handler<DuplexStreamingServerMethod<TRequest, TResponse>>(http, path)(reader, writer, context).ConfigureAwait(false);
                writer.CompleteEmpty();
            }
            catch (Exception e)
            {
                if (Failure(http, path, e) is { } status) await writer.FailAsync(status).ConfigureAwait(false);
            }
        }
    }

    /// <summary>grpc-gateway's DefaultHTTPError: the status's HTTP code and {"error","message","code"}.</summary>
    public static Task WriteErrorAsync(HttpContext http, Status status)
    {
        var buffer = new ArrayBufferWriter<byte>();
        GatewayErrors.WriteBody(buffer, status);
        http.Response.StatusCode = GatewayErrors.HttpStatus(status.StatusCode);
        http.Response.ContentType = JsonContentType;
        http.Response.ContentLength = buffer.WrittenCount;
        return http.Response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted).AsTask();
    }

    /// <summary>The method's handler behind the interceptors (<see cref="EtcdCallHandlers"/>), as a gRPC call would run it.</summary>
    private static TDelegate Handler<TDelegate>(HttpContext http, string path) where TDelegate : Delegate =>
        http.RequestServices.GetRequiredService<EtcdCallHandlers>().Get<TDelegate>(path);

    private static GatewayRequests Requests(HttpContext http) =>
        new(http.Request.BodyReader, http.RequestServices.GetRequiredService<IOptions<GrpcServiceOptions>>().Value.MaxReceiveMessageSize);

    /// <summary>
    /// The status to answer for an exception, as grpc-dotnet would end the call; null when the HTTP client is gone
    /// and nothing can be answered.
    /// </summary>
    private static Status? Failure(HttpContext http, string method, Exception e)
    {
        if (http.RequestAborted.IsCancellationRequested) return null;
        if (e is RpcException rpc) return rpc.Status;
        ILogger logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GatewayCalls).FullName!);
        Log.GatewayCallFailed(logger, method, e);
        return new Status(StatusCode.Unknown, HandlerException);
    }
}
