using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace KvStore.Host.Kestrel;

/// <summary>
/// Serves gRPC (HTTP/2 with prior knowledge, h2c) and HTTP/1.1 on one cleartext port, as etcd does on its
/// client URLs. Kestrel picks one protocol per cleartext endpoint, so the public endpoint runs HTTP/1.1 and a
/// connection middleware peeks at the first bytes: the 24-byte HTTP/2 client preface sends the connection to
/// the connection pipeline captured from a private HTTP/2-only endpoint, an HTTP/1 request line to HTTP/1.1, and
/// anything else is closed unanswered, as etcd's cmux closes a connection no matcher takes (hostile-input matrix:
/// "socket: garbage bytes", "socket: TLS client hello on a plain port").
/// </summary>
internal static class Http2PrefaceSniffer
{
    /// <summary>The HTTP/2 client connection preface (RFC 9113, section 3.4).</summary>
    private static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    /// <summary>
    /// A middleware for the public endpoint: a connection that starts with the preface goes to
    /// <paramref name="http2Pipeline"/> (read when the connection arrives) through an
    /// <see cref="Http2AuthorityRewriter"/> sized by the server's <paramref name="limits"/>, any other to its own next step.
    /// </summary>
    public static Func<ConnectionDelegate, ConnectionDelegate> Middleware(Func<ConnectionDelegate?> http2Pipeline, Http2Limits limits) =>
        next => async connection =>
        {
            var http2 = await StartsWithPrefaceAsync(connection.Transport.Input, connection.ConnectionClosed).ConfigureAwait(false);
            if (!http2)
            {
                if (await StartsWithHttp1RequestLineAsync(connection.Transport.Input, connection.ConnectionClosed).ConfigureAwait(false))
                {
                    await next(connection).ConfigureAwait(false);
                }
                else
                {
                    connection.Abort(new ConnectionAbortedException("neither HTTP/2 nor HTTP/1"));
                }
                return;
            }
            var pipeline = http2Pipeline() ?? throw new InvalidOperationException("the HTTP/2 endpoint has not been built");
            await ServeHttp2Async(connection, pipeline, limits).ConfigureAwait(false);
        };

    /// <summary>
    /// A middleware for a TLS endpoint, after the handshake: a connection whose ALPN chose h2 runs its own next step
    /// through an <see cref="Http2AuthorityRewriter"/> (grpc-go sends the endpoint URL as authority over TLS too);
    /// HTTP/1.1 runs it as it is.
    /// </summary>
    public static Func<ConnectionDelegate, ConnectionDelegate> TlsMiddleware(Http2Limits limits) =>
        next => connection =>
            connection.Features.Get<Microsoft.AspNetCore.Server.Kestrel.Core.Features.ITlsApplicationProtocolFeature>()?.ApplicationProtocol.Span
                .SequenceEqual("h2"u8) == true
                ? ServeHttp2Async(connection, next, limits)
                : next(connection);

    /// <summary>
    /// Runs the HTTP/2 pipeline on the client's bytes as <see cref="Http2AuthorityRewriter"/> passes them on, and
    /// puts the connection's own transport back when it is done.
    /// </summary>
    private static async Task ServeHttp2Async(ConnectionContext connection, ConnectionDelegate pipeline, Http2Limits limits)
    {
        var transport = connection.Transport;
        // Kestrel's own input pipe limits (MaxRequestBufferSize 1 MiB). Both sides resume inline: the pump's flush
        // runs Kestrel's frame reader on the same thread (a thread-pool hop per read doubled the context switches).
        var rewritten = new Pipe(new PipeOptions(
            pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024,
            readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
        // The client sends frames up to the server's SETTINGS_MAX_FRAME_SIZE and sizes its HPACK table by the
        // server's SETTINGS_HEADER_TABLE_SIZE; Kestrel advertises these limits.
        var rewriter = new Http2AuthorityRewriter(limits.MaxFrameSize, limits.HeaderTableSize);
        var pump = rewriter.PumpAsync(transport.Input, rewritten.Writer, connection.ConnectionClosed);
        connection.Transport = new DuplexPipe(rewritten.Reader, transport.Output);
        try
        {
            await pipeline(connection).ConfigureAwait(false);
        }
        finally
        {
            connection.Transport = transport;
            await rewritten.Reader.CompleteAsync().ConfigureAwait(false);
            transport.Input.CancelPendingRead();
            await pump.ConfigureAwait(false);
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>
    /// Reads until the bytes so far either stop matching the preface or complete it, and consumes nothing: the
    /// chosen protocol reads the same bytes again. A short HTTP/1.1 request is decided at its first byte.
    /// </summary>
    public static ValueTask<bool> StartsWithPrefaceAsync(PipeReader input, CancellationToken cancellationToken) =>
        PeekAsync(input, static (buffer, final) => Match(buffer) switch
        {
            PrefaceMatch.Preface => true,
            PrefaceMatch.Other => false,
            _ => final ? false : null,
        }, cancellationToken);

    /// <summary>
    /// cmux's HTTP1 matcher: the first line (up to a line break, the end of the bytes, or 4096 bytes) is METHOD SP URI SP
    /// HTTP/1.x. Consumes nothing.
    /// </summary>
    public static ValueTask<bool> StartsWithHttp1RequestLineAsync(PipeReader input, CancellationToken cancellationToken) =>
        PeekAsync(input, static (buffer, final) =>
        {
            const int maxLine = 4096;
            var head = buffer.Slice(0, Math.Min(buffer.Length, maxLine));
            var lineEnd = head.PositionOf((byte)'\n');
            if (lineEnd is null && head.Length < maxLine && !final) return null;
            if (lineEnd is null && head.Length == maxLine) return false; // a line longer than cmux reads
            byte[] line = (lineEnd is { } at ? head.Slice(0, at) : head).ToArray();
            return IsHttp1RequestLine(line.AsSpan().TrimEnd((byte)'\r'));
        }, cancellationToken);

    /// <summary>
    /// Reads until <paramref name="decide"/> answers yes or no (null: more bytes needed; its flag says no more will
    /// come) and consumes nothing. A cancelled read is a no.
    /// </summary>
    private static async ValueTask<bool> PeekAsync(PipeReader input, Func<ReadOnlySequence<byte>, bool, bool?> decide,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            var buffer = result.Buffer;
            if (decide(buffer, result.IsCompleted || result.IsCanceled) is { } verdict)
            {
                input.AdvanceTo(buffer.Start);
                return verdict;
            }
            // Examined everything, consumed nothing: the next read waits for more bytes.
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>cmux's parseRequestLine and http.ParseHTTPVersion with major version 1.</summary>
    internal static bool IsHttp1RequestLine(ReadOnlySpan<byte> line)
    {
        int s1 = line.IndexOf((byte)' ');
        if (s1 < 0) return false;
        int s2 = line[(s1 + 1)..].IndexOf((byte)' ');
        if (s2 < 0) return false;
        ReadOnlySpan<byte> proto = line[(s1 + 1 + s2 + 1)..];
        if (!proto.StartsWith("HTTP/1."u8) || proto.Length == 7) return false;
        foreach (byte b in proto[7..])
        {
            if (b is < (byte)'0' or > (byte)'9') return false;
        }
        return true;
    }

    internal enum PrefaceMatch
    {
        Undecided,
        Preface,
        Other,
    }

    internal static PrefaceMatch Match(in ReadOnlySequence<byte> buffer)
    {
        var length = (int)Math.Min(buffer.Length, Preface.Length);
        Span<byte> head = stackalloc byte[Preface.Length];
        buffer.Slice(0, length).CopyTo(head);
        if (!head[..length].SequenceEqual(Preface[..length]))
        {
            return PrefaceMatch.Other;
        }
        return length == Preface.Length ? PrefaceMatch.Preface : PrefaceMatch.Undecided;
    }
}
