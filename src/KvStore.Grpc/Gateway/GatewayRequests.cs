using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;

namespace KvStore.Grpc.Gateway;

/// <summary>A request body that is not a JSON value of the request message.</summary>
internal sealed class GatewayDecodeException(string message) : Exception(message);

/// <summary>
/// Reads request messages from a body as grpc-gateway's JSON decoder does: one JSON value after another, each
/// decoded as soon as it is complete (a watch or keep-alive body may stream many) by <see cref="GatewayJsonReader"/>.
/// </summary>
internal sealed class GatewayRequests(PipeReader body, int? maxMessageBytes)
{
    /// <summary>The next message, or null when the body ends. Throws <see cref="GatewayDecodeException"/>.</summary>
    public async ValueTask<T?> ReadAsync<T>(CancellationToken ct) where T : class, IMessage<T>, new()
    {
        T? message = await ReadValueAsync<T>(ct).ConfigureAwait(false);
        if (message is null) return null;
        // The size check gRPC makes on a received message (etcd's --max-request-bytes plus gRPC overhead).
        int size = message.CalculateSize();
        if (size > maxMessageBytes)
        {
            string text = $"grpc: received message larger than max ({size} vs. {maxMessageBytes})";
            throw new RpcException(new Status(StatusCode.ResourceExhausted, text), text);
        }
        return message;
    }

    /// <summary>The next complete top-level JSON value as a message; null when only whitespace is left.</summary>
    private async ValueTask<T?> ReadValueAsync<T>(CancellationToken ct) where T : class, IMessage<T>, new()
    {
        while (true)
        {
            ReadResult result;
            try
            {
                result = await body.ReadAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException && !ct.IsCancellationRequested)
            {
                throw new GatewayDecodeException(e.Message); // Kestrel's body limit, a malformed chunk
            }
            ReadOnlySequence<byte> buffer = result.Buffer;
            bool found;
            SequencePosition start, end;
            try
            {
                found = TryFindValue(buffer, result.IsCompleted, out start, out end);
            }
            catch (GatewayDecodeException)
            {
                body.AdvanceTo(buffer.End); // every read is ended, or Kestrel cannot drain the body after the answer
                throw;
            }
            if (found)
            {
                try
                {
                    return GatewayJsonReader.Parse<T>(buffer.Slice(start, end));
                }
                finally
                {
                    body.AdvanceTo(end);
                }
            }
            if (result.IsCompleted)
            {
                body.AdvanceTo(buffer.End);
                return null; // TryFindValue throws when a final block holds a partial value
            }
            body.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// Where the first JSON value in <paramref name="buffer"/> ends, found as Go's json.Decoder finds it (its syntax errors,
    /// "unexpected EOF" for a value the final block ends inside); false when more bytes are needed or none are left.
    /// </summary>
    private static bool TryFindValue(ReadOnlySequence<byte> buffer, bool final, out SequencePosition start, out SequencePosition end)
    {
        start = buffer.Start;
        end = default;
        switch (GoJsonScanner.FindValue(buffer, final, out long length, out string? error))
        {
            case GoJsonScanner.Found.Value:
                end = buffer.GetPosition(length);
                return true;
            case GoJsonScanner.Found.Error:
                throw new GatewayDecodeException(error!);
            default:
                return false;
        }
    }
}
