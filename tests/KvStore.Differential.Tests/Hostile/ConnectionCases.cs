using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace KvStore.Differential.Tests.Hostile;

/// <summary>
/// Hostile connections: bytes that are not gRPC on the client port, TLS to a plain port, thousands of streams on one
/// connection, a watch whose client reads nothing, and slow clients holding connections half-sent.
/// </summary>
internal static class ConnectionCases
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(3);

    public static IEnumerable<HostileCase> All =>
    [
        new("socket: garbage bytes", "closed without an answer", s => RawSocket.ExchangeAsync(s.ClientUrl, Garbage(), Quiet)),
        new("socket: HTTP/1.1 request for a gRPC method", "HTTP/1.1 404 Not Found \"404 page not found\", closed", s => RawSocket.ExchangeAsync(s.ClientUrl, Encoding.ASCII.GetBytes(
            "POST /etcdserverpb.KV/Range HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/grpc\r\nContent-Length: 8\r\nConnection: close\r\n\r\n")
            .Concat(RawGrpc.Frame([0x0a, 0x01, 0x61])).ToArray(), Quiet)),
        new("socket: HTTP/1.1 GET of a gateway path", "HTTP/1.1 405 Method Not Allowed \"Method Not Allowed\", closed", s => RawSocket.ExchangeAsync(s.ClientUrl, Encoding.ASCII.GetBytes(
            "GET /v3/kv/range HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"), Quiet)),
        new("socket: HTTP/1.1 request line with no headers end", "no answer, left open", s => RawSocket.ExchangeAsync(s.ClientUrl, Encoding.ASCII.GetBytes(
            "POST /v3/kv/range HTTP/1.1\r\nHost"), Quiet)),
        new("socket: HTTP/2 preface then garbage frames", "SETTINGS GOAWAY(FRAME_SIZE_ERROR), closed", s => RawSocket.ExchangeAsync(s.ClientUrl,
            [.. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8, .. Garbage()], Quiet))
        {
            Etcd34 = "SETTINGS, closed",
            Why = "kvstore's HTTP/2 server (Kestrel) says why it ends the connection (GOAWAY FRAME_SIZE_ERROR); grpc-go closes it without a GOAWAY",
        },
        new("socket: TLS client hello on a plain port", "closed without an answer", async s => await RawSocket.ExchangeAsync(s.ClientUrl, await ClientHelloAsync(), Quiet)),
        new("streams: 2000 ranges, 1000 watches, one connection",
            "2000 of 2000 ranges answered; 1000 of 1000 watches created, 1000 saw the put", ThousandsOfStreamsAsync) { Writes = 1 },
        new("watch: its client reads nothing during 300 puts",
            "300 of 300 puts answered while the watcher's client read nothing", UnreadWatchAsync) { Writes = 300 },
        new("slowloris: 40 connections trickling their requests",
            "20 of 20 put/get answered meanwhile; the trickled requests then got HTTP/1.1 200 OK x30", SlowlorisAsync) { Writes = 20 },
    ];

    /// <summary>Every byte value once, then again: no HTTP method, a line break early.</summary>
    private static byte[] Garbage() => [.. Enumerable.Range(0, 512).Select(i => (byte)(i * 7 + 3))];

    /// <summary>The first flight of a TLS 1.2/1.3 client (what .NET's SslStream sends), captured without a server.</summary>
    private static async Task<byte[]> ClientHelloAsync()
    {
        var capture = new CaptureStream();
        using var tls = new SslStream(capture);
        try
        {
            await tls.AuthenticateAsClientAsync("127.0.0.1");
        }
        catch (IOException)
        {
        }
        return capture.Written.ToArray();
    }

    private static async Task<string> ThousandsOfStreamsAsync(HostileSide s)
    {
        using GrpcChannel channel = s.NewChannel();
        var kv = new KV.KVClient(channel);
        RangeResponse[] ranges = await Task.WhenAll(Enumerable.Range(0, 2000)
            .Select(_ => kv.RangeAsync(new RangeRequest { Key = RequestCases.B("a") }, s.Admin).ResponseAsync));
        int answered = ranges.Count(r => r.Count == 1);

        var watch = new Watch.WatchClient(channel);
        var calls = Enumerable.Range(0, 1000).Select(_ => watch.Watch(s.Admin)).ToList();
        try
        {
            string[] created = await Task.WhenAll(calls.Select(async call =>
            {
                await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = RequestCases.B("0streams") } });
                return await RequestCases.NextAsync(call);
            }));
            await s.Kv.PutAsync(new PutRequest { Key = RequestCases.B("0streams"), Value = RequestCases.B("v") }, s.Admin);
            string[] events = await Task.WhenAll(calls.Select(RequestCases.NextAsync));
            return $"{answered} of 2000 ranges answered; {created.Count(c => c.StartsWith("watch created=true canceled=false", StringComparison.Ordinal))} of 1000 watches created, "
                + $"{events.Count(e => e.EndsWith("events=1", StringComparison.Ordinal))} saw the put";
        }
        finally
        {
            foreach (var call in calls) call.Dispose();
        }
    }

    /// <summary>
    /// A watch on a connection whose client stops reading from the socket once the watch is created: the server's
    /// sends to it block (HTTP/2 flow control, then TCP), while other clients' puts must still be answered.
    /// </summary>
    private static async Task<string> UnreadWatchAsync(HostileSide s)
    {
        var stall = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = false,
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new StallingStream(new NetworkStream(socket, ownsSocket: true), stall.Task);
            },
        };
        var channel = GrpcChannel.ForAddress(s.ClientUrl, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        var call = new Watch.WatchClient(channel).Watch(s.Admin);
        try
        {
            await call.RequestStream.WriteAsync(new WatchRequest
            {
                CreateRequest = new WatchCreateRequest { Key = RequestCases.B("0unread/"), RangeEnd = RequestCases.B("0unread0"), PrevKv = true },
            });
            string created = await RequestCases.NextAsync(call);
            if (!created.StartsWith("watch created=true", StringComparison.Ordinal)) return "watch not created: " + created;
            stall.SetResult();
            var value = ByteString.CopyFrom(new byte[8 * 1024]);
            int answered = 0;
            for (int i = 0; i < 300; i++)
            {
                await s.Kv.PutAsync(new PutRequest { Key = RequestCases.B($"0unread/{i % 10}"), Value = value }, s.Admin);
                answered++;
            }
            return $"{answered} of 300 puts answered while the watcher's client read nothing";
        }
        finally
        {
            stall.TrySetResult();
            call.Dispose();
            channel.Dispose();
        }
    }

    /// <summary>
    /// Slow clients (the "slowloris" row): 30 connections send an HTTP/1.1 request head a byte at a time and 10 send half the HTTP/2 preface
    /// and stop; meanwhile 20 put/get pairs on fresh connections must be answered; then the 30 finish their requests.
    /// </summary>
    private static async Task<string> SlowlorisAsync(HostileSide s)
    {
        byte[] head = Encoding.ASCII.GetBytes("POST /v3/kv/range HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + new string('z', 24) + "\r\n");
        byte[] rest = Encoding.ASCII.GetBytes("Content-Length: 14\r\nConnection: close\r\n\r\n{\"key\":\"YQ==\"}");
        var slow = new List<TcpClient>();
        try
        {
            for (int i = 0; i < 40; i++) slow.Add(await RawSocket.ConnectAsync(s.ClientUrl));
            foreach (TcpClient c in slow.Skip(30)) await c.GetStream().WriteAsync("PRI * HTTP/2.0\r\n"u8.ToArray());
            Task trickle = Task.Run(async () =>
            {
                foreach (byte b in head)
                {
                    foreach (TcpClient c in slow.Take(30)) await c.GetStream().WriteAsync(new[] { b });
                    await Task.Delay(40);
                }
            });
            int served = 0;
            for (int i = 0; i < 20; i++)
            {
                using GrpcChannel channel = s.NewChannel();
                var kv = new KV.KVClient(channel);
                var value = RequestCases.B("slow" + i);
                await kv.PutAsync(new PutRequest { Key = RequestCases.B("0slow"), Value = value }, s.Admin);
                if ((await kv.RangeAsync(new RangeRequest { Key = RequestCases.B("0slow") }, s.Admin)).Kvs[0].Value == value) served++;
            }
            await trickle;
            string[] answers = await Task.WhenAll(slow.Take(30).Select(async c =>
            {
                await c.GetStream().WriteAsync(rest);
                var (bytes, closed) = await RawSocket.ReadAllAsync(c.GetStream(), Quiet);
                string text = Encoding.ASCII.GetString(bytes);
                int eol = text.IndexOf("\r\n", StringComparison.Ordinal);
                return eol < 0 ? RawSocket.Describe(bytes, closed) : text[..eol];
            }));
            string got = string.Join(", ", answers.GroupBy(a => a).Select(g => $"{g.Key} x{g.Count()}"));
            return $"{served} of 20 put/get answered meanwhile; the trickled requests then got {got}";
        }
        finally
        {
            foreach (TcpClient c in slow) c.Dispose();
        }
    }

    /// <summary>Records what is written; reads end the stream (a handshake that never gets an answer).</summary>
    private sealed class CaptureStream : Stream
    {
        public MemoryStream Written { get; } = new();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => 0;
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);
    }

    /// <summary>A connection whose reads stop (pend) once <paramref name="stall"/> completes... until it is disposed.</summary>
    private sealed class StallingStream(Stream inner, Task stall) : Stream
    {
        private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.WriteAsync(buffer, cancellationToken);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (stall.IsCompleted)
            {
                await _disposed.Task.WaitAsync(cancellationToken);
                return 0;
            }
            return await inner.ReadAsync(buffer, cancellationToken);
        }

        protected override void Dispose(bool disposing)
        {
            _disposed.TrySetResult();
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
