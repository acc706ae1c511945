using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;

namespace KvStore.Grpc.Gateway;

/// <summary>A request body that is not a JSON value of the request message.</summary>
internal sealed class GatewayDecodeException(string message) : Exception(message);

/// <summary>
/// Reads request messages from a body as grpc-gateway's JSON decoder does: one JSON value after another, each
/// decoded as soon as it is complete (a watch or keep-alive body may stream many). Unknown fields are ignored,
/// field names may be the .proto names or their lowerCamelCase JSON names, a JSON null is the empty message.
/// </summary>
internal sealed class GatewayRequests(PipeReader body, int? maxMessageBytes)
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    private static readonly JsonReaderOptions ReaderOptions = new() { AllowMultipleValues = true, MaxDepth = 256 };

    /// <summary>The next message, or null when the body ends. Throws <see cref="GatewayDecodeException"/>.</summary>
    public async ValueTask<T?> ReadAsync<T>(CancellationToken ct) where T : class, IMessage<T>, new()
    {
        string? json = await ReadValueAsync(ct).ConfigureAwait(false);
        if (json is null) return null;
        T message = Parse<T>(json);
        // The size check gRPC makes on a received message (etcd's --max-request-bytes plus gRPC overhead).
        int size = message.CalculateSize();
        if (size > maxMessageBytes)
        {
            string text = $"grpc: received message larger than max ({size} vs. {maxMessageBytes})";
            throw new RpcException(new Status(StatusCode.ResourceExhausted, text), text);
        }
        return message;
    }

    internal static T Parse<T>(string json) where T : class, IMessage<T>, new()
    {
        if (json == "null") return new T();
        try
        {
            return Parser.Parse<T>(json);
        }
        catch (Exception e) when (e is InvalidJsonException or InvalidProtocolBufferException or FormatException or OverflowException
                                      or ArgumentException)
        {
            throw new GatewayDecodeException(e.Message);
        }
    }

    /// <summary>The text of the next complete top-level JSON value; null when only whitespace is left.</summary>
    private async ValueTask<string?> ReadValueAsync(CancellationToken ct)
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
            if (TryFindValue(buffer, result.IsCompleted, out SequencePosition start, out SequencePosition end))
            {
                string json = Encoding.UTF8.GetString(buffer.Slice(start, end));
                body.AdvanceTo(end);
                return json;
            }
            if (result.IsCompleted)
            {
                body.AdvanceTo(buffer.End);
                return null; // TryFindValue throws when a final block holds a partial value
            }
            body.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static bool TryFindValue(ReadOnlySequence<byte> buffer, bool final, out SequencePosition start, out SequencePosition end)
    {
        start = end = default;
        var reader = new Utf8JsonReader(buffer, final, new JsonReaderState(ReaderOptions));
        try
        {
            if (!reader.Read()) return false;
            start = buffer.GetPosition(reader.TokenStartIndex);
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && !reader.TrySkip()) return false;
            end = reader.Position;
            return true;
        }
        catch (JsonException e)
        {
            throw new GatewayDecodeException(e.Message);
        }
    }
}
