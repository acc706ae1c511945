using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Grpc.Core;

namespace KvStore.Grpc.Decoding;

/// <summary>
/// A gRPC request body as grpc-go's parser reads it (recvMsg, checkRecvPayload), in front of Grpc.AspNetCore's own
/// reader: each message's 5-byte prefix is checked as it arrives (a length over the limit, a compressed flag with no
/// grpc-encoding, an unknown flag) with grpc-go's code and message; a unary call takes its first message and
/// ignores what follows, and a body that ends before a whole message is grpc-go's "EOF" or "unexpected EOF".
/// Tests: the "gRPC:" rows of the hostile-input matrix.
/// </summary>
internal sealed class GrpcFrameReader(PipeReader inner, int maxMessageBytes, bool unary, bool compressionNegotiated) : PipeReader
{
    private const int PrefixLength = 5;

    /// <summary>Body bytes consumed so far (the offset of the buffer the next read returns).</summary>
    private long _consumed;

    /// <summary>Body offset of the next message prefix not yet checked.</summary>
    private long _nextPrefix;

    /// <summary>A unary call's first message is whole: its end is all the call reads.</summary>
    private long? _unaryEnd;

    private ReadOnlySequence<byte> _returned;

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) =>
        Inspect(await inner.ReadAsync(cancellationToken).ConfigureAwait(false));

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result)) return false;
        result = Inspect(result);
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        _consumed += _returned.Slice(0, consumed).Length;
        inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    private ReadResult Inspect(ReadResult result)
    {
        ReadOnlySequence<byte> buffer = result.Buffer;
        try
        {
            long end = _consumed + buffer.Length;
            Span<byte> prefix = stackalloc byte[PrefixLength];
            while (_unaryEnd is null && _nextPrefix + PrefixLength <= end)
            {
                buffer.Slice(_nextPrefix - _consumed, PrefixLength).CopyTo(prefix);
                uint length = BinaryPrimitives.ReadUInt32BigEndian(prefix[1..]);
                if (length > maxMessageBytes)
                {
                    throw Refuse(StatusCode.ResourceExhausted, $"grpc: received message larger than max ({length} vs. {maxMessageBytes})");
                }
                if (prefix[0] == 1 && !compressionNegotiated)
                {
                    throw Refuse(StatusCode.Internal, "grpc: compressed flag set with identity or empty encoding");
                }
                if (prefix[0] > 1) throw Refuse(StatusCode.Internal, $"grpc: received unexpected payload format {prefix[0]}");
                _nextPrefix += PrefixLength + length;
                if (unary) _unaryEnd = _nextPrefix;
            }
            if (_unaryEnd is { } last && last <= end)
            {
                // grpc-go reads a unary call's one message and never looks at the rest of the body.
                _returned = buffer.Slice(0, last - _consumed);
                return new ReadResult(_returned, result.IsCanceled, isCompleted: true);
            }
            if (unary && result.IsCompleted)
            {
                // io.EOF before any byte, io.ErrUnexpectedEOF within a prefix or a message: status.Convert makes both Unknown.
                throw Refuse(StatusCode.Unknown, end == 0 ? "EOF" : "unexpected EOF");
            }
            _returned = buffer;
            return result;
        }
        catch (RpcException)
        {
            inner.AdvanceTo(buffer.Start, buffer.End);
            throw;
        }
    }

    private static RpcException Refuse(StatusCode code, string message) => new(new Status(code, message), message);
}
