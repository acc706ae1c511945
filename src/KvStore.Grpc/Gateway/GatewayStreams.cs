using System.Buffers;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace KvStore.Grpc.Gateway;

/// <summary>
/// The request side of a client stream over HTTP/1.1: the JSON values of the body, one message each. As
/// grpc-gateway, a value that does not decode ends the client's side of the stream; the call goes on. With no
/// first message the client's side is closed from the start.
/// </summary>
internal sealed class GatewayStreamReader<T>(GatewayRequests requests, T? first) : IAsyncStreamReader<T> where T : class, IMessage<T>, new()
{
    private T? _first = first;
    private bool _ended = first is null;

    public T Current { get; private set; } = null!;

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        if (_first is not null)
        {
            Current = _first;
            _first = null;
            return true;
        }
        if (_ended) return false;
        T? next;
        try
        {
            next = await requests.ReadAsync<T>(cancellationToken).ConfigureAwait(false);
        }
        catch (GatewayDecodeException)
        {
            next = null;
        }
        if (next is null)
        {
            _ended = true;
            return false;
        }
        Current = next;
        return true;
    }
}

/// <summary>
/// The response side of a server stream over HTTP/1.1, as grpc-gateway's ForwardResponseStream writes it:
/// status 200 with the first message, then each message as {"result": message} and a newline, flushed at once.
/// </summary>
internal sealed class GatewayStreamWriter<T>(HttpContext http, GatewayCallContext context) : IServerStreamWriter<T> where T : IMessage
{
    /// <summary>A message has been written: the HTTP status is sent.</summary>
    public bool Started { get; private set; }

    public WriteOptions? WriteOptions { get; set; }

    public Task WriteAsync(T message) => WriteAsync(message, CancellationToken.None);

    public async Task WriteAsync(T message, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write("{\"result\":"u8);
        GatewayJsonWriter.WriteMessage(buffer, message);
        buffer.Write("}\n"u8);
        if (!Started)
        {
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = GatewayCalls.JsonContentType;
            context.AddResponseHeaders(http.Response.Headers);
            Started = true;
        }
        await http.Response.Body.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await http.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The stream ended without a message: grpc-gateway answers 200 with its content type and no body.</summary>
    public void CompleteEmpty()
    {
        if (Started) return;
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = GatewayCalls.JsonContentType;
    }

    /// <summary>
    /// The stream failed. Before any message grpc-gateway answers as for a failed unary call (the gRPC response
    /// had no headers); after, it ends the body with an {"error": ...} chunk.
    /// </summary>
    public async Task FailAsync(Status status)
    {
        if (!Started)
        {
            await GatewayCalls.WriteErrorAsync(http, status).ConfigureAwait(false);
            return;
        }
        var buffer = new ArrayBufferWriter<byte>();
        GatewayErrors.WriteStreamChunk(buffer, status);
        await http.Response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted).ConfigureAwait(false);
    }
}
