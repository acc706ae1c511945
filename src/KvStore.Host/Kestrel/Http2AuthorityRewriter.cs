using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using KvStore.Host.Kestrel.Hpack;

namespace KvStore.Host.Kestrel;

/// <summary>
/// Copies an HTTP/2 client's bytes (preface, then frames) to the server and rewrites the header blocks so an
/// <c>:authority</c> of the form <c>scheme://host:port</c> becomes <c>host:port</c>. grpc-go's passthrough
/// resolver sends the endpoint URL as the authority (etcdctl 3.4 <c>endpoint status</c> with
/// <c>--endpoints=http://...</c>); etcd's grpc-go server ignores it, Kestrel resets the stream as a bad Host.
/// <para>
/// Every header block (HEADERS + CONTINUATION frames) is decoded against a mirror of the client's dynamic
/// table. Blocks pass unchanged until one has an authority to fix; that one and every later block are
/// re-encoded with literals that do not index (<see cref="HpackEncoder"/>), so the server's table stays as it
/// was before the first fixed block whatever the client's holds from then on. All other frames are copied
/// unchanged, as soon as their bytes arrive.
/// </para>
/// </summary>
internal sealed class Http2AuthorityRewriter(int maxFrameSize = Http2AuthorityRewriter.DefaultMaxFrameSize, int headerTableSize = 4096)
{
    /// <summary>SETTINGS_MAX_FRAME_SIZE's initial value; Kestrel advertises it unless configured otherwise.</summary>
    public const int DefaultMaxFrameSize = 16384;

    private const int PrefaceLength = 24;
    private const int FrameHeaderLength = 9;
    private const byte Headers = 0x1;
    private const byte Continuation = 0x9;
    private const byte EndStream = 0x1;
    private const byte EndHeaders = 0x4;
    private const byte Padded = 0x8;
    private const byte Priority = 0x20;

    // A header block larger than this is refused (Kestrel's own request header limit is 32 KiB decoded).
    private const int MaxHeaderBlock = 1 << 20;

    private readonly HpackDecoder _decoder = new(headerTableSize);
    private readonly List<HeaderField> _fields = [];
    private readonly ArrayBufferWriter<byte> _block = new();
    private readonly ArrayBufferWriter<byte> _encoded = new();
    private long _passThrough = PrefaceLength;

    // Until a block needs its authority fixed, blocks pass unchanged (the server's dynamic table is the client's,
    // and a client that indexes its headers keeps sending small blocks); after that, every block is re-encoded.
    private bool _rewriting;

    /// <summary>Pumps <paramref name="input"/> to <paramref name="output"/> until either side ends; completes <paramref name="output"/>.</summary>
    public async Task PumpAsync(PipeReader input, PipeWriter output, CancellationToken cancellationToken = default)
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                var consumed = Process(buffer, output);
                input.AdvanceTo(consumed, buffer.End);
                var flush = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (flush.IsCompleted || result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            // A block that does not decode, or the client's transport failing: the server sees the input fail.
            error = e;
        }
        await output.CompleteAsync(error).ConfigureAwait(false);
    }

    /// <summary>Writes what can be written of <paramref name="buffer"/> and returns where the unprocessed bytes start.</summary>
    internal SequencePosition Process(ReadOnlySequence<byte> buffer, IBufferWriter<byte> output)
    {
        while (true)
        {
            if (_passThrough > 0)
            {
                var length = Math.Min(_passThrough, buffer.Length);
                foreach (var segment in buffer.Slice(0, length))
                {
                    output.Write(segment.Span);
                }
                _passThrough -= length;
                buffer = buffer.Slice(length);
                if (_passThrough > 0)
                {
                    return buffer.Start;
                }
            }
            if (!TryReadFrameHeader(buffer, out var payloadLength, out var type, out _, out _))
            {
                return buffer.Start;
            }
            if (type != Headers)
            {
                _passThrough = FrameHeaderLength + payloadLength;
                continue;
            }
            if (!TryRewriteHeaderBlock(ref buffer, output))
            {
                return buffer.Start;
            }
        }
    }

    /// <summary>Rewrites the header block at the start of <paramref name="buffer"/> once all its frames are there.</summary>
    private bool TryRewriteHeaderBlock(ref ReadOnlySequence<byte> buffer, IBufferWriter<byte> output)
    {
        _block.ResetWrittenCount();
        var rest = buffer;
        Span<byte> priority = stackalloc byte[5];
        var headersFlags = (byte)0;
        var streamId = 0u;
        var first = true;
        while (true)
        {
            if (!TryReadFrameHeader(rest, out var length, out var type, out var flags, out var stream))
            {
                return false;
            }
            if (first ? type != Headers : type != Continuation || stream != streamId)
            {
                throw new InvalidDataException("a header block continues with a frame other than CONTINUATION on its stream");
            }
            if (rest.Length < FrameHeaderLength + length)
            {
                if (_block.WrittenCount + length > MaxHeaderBlock)
                {
                    throw new InvalidDataException("header block too large");
                }
                return false;
            }
            var payload = rest.Slice(FrameHeaderLength, length);
            if (first)
            {
                headersFlags = flags;
                streamId = stream;
                var padLength = 0;
                if ((flags & Padded) != 0)
                {
                    padLength = ReadByte(payload, 0);
                    payload = payload.Slice(1);
                }
                if ((flags & Priority) != 0)
                {
                    if (payload.Length < 5)
                    {
                        throw new InvalidDataException("HEADERS frame too short for its priority");
                    }
                    payload.Slice(0, 5).CopyTo(priority);
                    payload = payload.Slice(5);
                }
                if (padLength > payload.Length)
                {
                    throw new InvalidDataException("HEADERS padding longer than the frame");
                }
                payload = payload.Slice(0, payload.Length - padLength);
            }
            if (_block.WrittenCount + payload.Length > MaxHeaderBlock)
            {
                throw new InvalidDataException("header block too large");
            }
            foreach (var segment in payload)
            {
                _block.Write(segment.Span);
            }
            rest = rest.Slice(FrameHeaderLength + length);
            first = false;
            if ((flags & EndHeaders) != 0)
            {
                break;
            }
        }

        if (!_rewriting && _decoder.TryDecodeUnmatched(_block.WrittenSpan, ":authority"u8, IsUrlShaped))
        {
            // Nothing to fix and the server's table still mirrors the client's: the frames go on as they came.
            foreach (var segment in buffer.Slice(0, rest.Start))
            {
                output.Write(segment.Span);
            }
            buffer = rest;
            return true;
        }
        // From the first block with a fix on, every block is re-encoded: the server's table stays what it was.
        _rewriting = true;
        _fields.Clear();
        _decoder.Decode(_block.WrittenSpan, _fields);
        for (var i = 0; i < _fields.Count; i++)
        {
            if (TryFixAuthority(_fields[i], out var fixedField))
            {
                _fields[i] = fixedField;
            }
        }
        _encoded.ResetWrittenCount();
        HpackEncoder.Encode(_fields, _encoded);
        WriteFrames(output, _encoded.WrittenSpan, (byte)(headersFlags & (EndStream | Priority)), streamId, priority);
        buffer = rest;
        return true;
    }

    /// <summary>A HEADERS frame (with the priority, without padding) and as many CONTINUATION frames as the size needs.</summary>
    private void WriteFrames(IBufferWriter<byte> output, ReadOnlySpan<byte> block, byte flags, uint streamId, ReadOnlySpan<byte> priority)
    {
        ReadOnlySpan<byte> prefix = (flags & Priority) != 0 ? priority : default;
        var type = Headers;
        do
        {
            var room = maxFrameSize - prefix.Length;
            var chunk = block[..Math.Min(room, block.Length)];
            block = block[chunk.Length..];
            var frameFlags = block.IsEmpty ? (byte)(flags | EndHeaders) : flags;
            var span = output.GetSpan(FrameHeaderLength + prefix.Length + chunk.Length);
            var length = prefix.Length + chunk.Length;
            span[0] = (byte)(length >> 16);
            span[1] = (byte)(length >> 8);
            span[2] = (byte)length;
            span[3] = type;
            span[4] = frameFlags;
            BinaryPrimitives.WriteUInt32BigEndian(span[5..], streamId);
            prefix.CopyTo(span[FrameHeaderLength..]);
            chunk.CopyTo(span[(FrameHeaderLength + prefix.Length)..]);
            output.Advance(FrameHeaderLength + length);
            type = Continuation;
            flags = 0;
            prefix = default;
        }
        while (!block.IsEmpty);
    }

    /// <summary>
    /// <c>:authority: http://host:port[/...]</c> becomes <c>host:port</c>, and a unix socket path
    /// (<c>/dir/localhost:2379</c>, grpc-go's authority for <c>unix://</c> endpoints) its file name; any other field is
    /// left alone.
    /// </summary>
    internal static bool TryFixAuthority(HeaderField field, out HeaderField fixedField)
    {
        fixedField = field;
        if (!field.Name.AsSpan().SequenceEqual(":authority"u8))
        {
            return false;
        }
        var value = field.Value.AsSpan();
        if (value.Length > 0 && value[0] == (byte)'/')
        {
            var name = value[(value.LastIndexOf((byte)'/') + 1)..];
            fixedField = field with { Value = name.IsEmpty ? "localhost"u8.ToArray() : name.ToArray(), StaticIndex = -1, StaticNameIndex = -1 };
            return true;
        }
        if (!IsUrlShaped(value))
        {
            return false;
        }
        var scheme = value.IndexOf("://"u8);
        var host = value[(scheme + 3)..];
        var slash = host.IndexOf((byte)'/');
        if (slash >= 0)
        {
            host = host[..slash];
        }
        fixedField = field with { Value = host.ToArray(), StaticIndex = -1, StaticNameIndex = -1 };
        return true;
    }

    /// <summary>An authority this rewriter fixes: <c>scheme://...</c> or a path.</summary>
    private static bool IsUrlShaped(ReadOnlySpan<byte> authority) =>
        authority.IndexOf("://"u8) > 0 || (authority.Length > 0 && authority[0] == (byte)'/');

    private static bool TryReadFrameHeader(in ReadOnlySequence<byte> buffer, out int length, out byte type, out byte flags, out uint streamId)
    {
        Span<byte> header = stackalloc byte[FrameHeaderLength];
        if (buffer.Length < FrameHeaderLength)
        {
            (length, type, flags, streamId) = (0, 0, 0, 0);
            return false;
        }
        buffer.Slice(0, FrameHeaderLength).CopyTo(header);
        length = (header[0] << 16) | (header[1] << 8) | header[2];
        type = header[3];
        flags = header[4];
        streamId = BinaryPrimitives.ReadUInt32BigEndian(header[5..]) & 0x7fffffff;
        return true;
    }

    private static byte ReadByte(in ReadOnlySequence<byte> payload, int offset)
    {
        if (payload.Length <= offset)
        {
            throw new InvalidDataException("HEADERS frame too short for its pad length");
        }
        return payload.Slice(offset, 1).FirstSpan[0];
    }
}
