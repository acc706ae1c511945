using System.Net;
using System.Net.Http.Headers;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace KvStore.Differential.Tests.Hostile;

/// <summary>
/// Malformed protobuf in well-framed gRPC messages (etcd answers what its gogo-generated Unmarshal returns, as
/// grpc-go's "error unmarshalling request"), malformed gRPC framing, and methods that do not exist.
/// </summary>
internal static class ProtobufCases
{
    private const string Unmarshal = "Internal \"grpc: error unmarshalling request: ";

    /// <summary>gogo protobuf before 1.3.2 (etcd 3.4's generated code) indexes out of range on these: CVE-2021-3121.</summary>
    private const string Cve = "CVE-2021-3121: gogo protobuf before 1.3.2 slices out of range when a length overflows the index; etcd 3.5's code (gogo 1.3.2) answers this";

    public static IEnumerable<HostileCase> All =>
    [
        Bytes("protobuf: length past the end", "etcdserverpb.KV/Range", [0x0a, 0x05, 0x61], "unexpected EOF"),
        Bytes("protobuf: known field with the wrong wire type", "etcdserverpb.KV/Range", [0x08, 0x01], "proto: wrong wireType = 0 for field Key"),
        Bytes("protobuf: field number 0", "etcdserverpb.KV/Range", [0x00], "proto: RangeRequest: illegal tag 0 (wire type 0)"),
        Bytes("protobuf: negative field number", "etcdserverpb.KV/Put", [0xfa, 0xff, 0xff, 0xff, 0x7f],
            "proto: PutRequest: illegal tag -1 (wire type 34359738362)"),
        Bytes("protobuf: varint over ten bytes", "etcdserverpb.KV/Range", [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
            "proto: integer overflow"),
        Bytes("protobuf: end group with no start", "etcdserverpb.KV/Range", [0x0c], "proto: RangeRequest: wiretype end group for non-group"),
        Bytes("protobuf: unknown field with wire type 7", "etcdserverpb.KV/Range", [0x7f], "proto: illegal wireType 7"),
        Bytes("protobuf: unknown group never closed", "etcdserverpb.KV/Range", [0x7b, 0x08, 0x01], "unexpected EOF"),
        Bytes("protobuf: negative length", "etcdserverpb.KV/Put", [0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            "proto: negative length found during unmarshaling"),
        Bytes("protobuf: error inside a txn's nested op", "etcdserverpb.KV/Txn",
            new TxnRequest { Success = { new RequestOp { RequestRange = new RangeRequest { Key = RequestCases.B("a") } } } }.ToByteArray()
                .Concat<byte>([0x1a, 0x04, 0x0a, 0x02, 0x08, 0x01]).ToArray(), // a failure op whose range has a varint Key
            "proto: wrong wireType = 0 for field Key"),
        Bytes("protobuf: unknown fields of every wire type", "etcdserverpb.KV/Range",
            [0x0a, 0x01, 0x61, 0x78, 0x05, 0x79, 1, 2, 3, 4, 5, 6, 7, 8, 0x7a, 0x01, 0x00, 0x7b, 0x08, 0x01, 0x7c, 0x7d, 1, 2, 3, 4], null,
            ok: "OK count=1 keys=[a]"),
        Bytes("protobuf: length overflowing (CVE-2021-3121)", "etcdserverpb.KV/Put",
            [0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], "proto: negative length found during unmarshaling") with
        {
            CrashesEtcd34 = true, Why = Cve,
        },
        Bytes("protobuf: overflow in a group (CVE-2021-3121)", "etcdserverpb.KV/Range",
            [0x0a, 0x01, 0x61, 0x7b, 0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], "proto: negative length found during unmarshaling") with
        {
            CrashesEtcd34 = true, Why = Cve,
        },
        new("protobuf: malformed watch request on a stream", "Internal \"grpc: failed to unmarshal the received message unexpected EOF\"", async s =>
        {
            using GrpcChannel channel = s.NewChannel();
            using var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(RawGrpc.Duplex("etcdserverpb.Watch/Watch"), null, s.Admin);
            await call.RequestStream.WriteAsync([0x0a, 0x05, 0x0a]);
            return await call.ResponseStream.MoveNext(CancellationToken.None) ? $"answer of {call.ResponseStream.Current.Length} bytes" : "stream ended";
        }),
        new("gRPC: unknown method of a known service", "Unimplemented \"unknown method Nope for service etcdserverpb.KV\"", async s =>
            $"answer of {(await RawGrpc.CallAsync(s.Channel, "etcdserverpb.KV/Nope", [], s.Admin)).Length} bytes"),
        new("gRPC: unknown service", "Unimplemented \"unknown service etcdserverpb.Nope\"", async s =>
            $"answer of {(await RawGrpc.CallAsync(s.Channel, "etcdserverpb.Nope/Range", [], s.Admin)).Length} bytes"),
        Framed("gRPC: compressed flag with no grpc-encoding", [1, 0, 0, 0, 2, 0x0a, 0x00],
            "HTTP 200 grpc-status 13 \"grpc: compressed flag set with identity or empty encoding\""),
        Framed("gRPC: message flag 7", [7, 0, 0, 0, 2, 0x0a, 0x00], "HTTP 200 grpc-status 13 \"grpc: received unexpected payload format 7\""),
        Framed("gRPC: length prefix over the limit", [0, 0x7f, 0xff, 0xff, 0xff, 0x0a, 0x00],
            $"HTTP 200 grpc-status 8 \"grpc: received message larger than max ({int.MaxValue} vs. {PlainPair.MaxRequestBytes + PlainPair.GrpcOverheadBytes})\""),
        Framed("gRPC: message shorter than its length prefix", [0, 0, 0, 0, 9, 0x0a, 0x01, 0x61], "HTTP 200 grpc-status 2 \"unexpected EOF\""),
        Framed("gRPC: length prefix cut short", [0, 0, 0], "HTTP 200 grpc-status 2 \"unexpected EOF\""),
        Framed("gRPC: two messages for a unary method", [.. RawGrpc.Frame([0x0a, 0x01, 0x61]), .. RawGrpc.Frame([0x0a, 0x01, 0x62])],
            "HTTP 200 grpc-status 0 \"\""),
        Framed("gRPC: no message for a unary method", [], "HTTP 200 grpc-status 2 \"EOF\""),
        Framed("gRPC: content-type that is not gRPC", RawGrpc.Frame([0x0a, 0x01, 0x61]), "stream reset (PROTOCOL_ERROR)", contentType: "text/plain"),
    ];

    private static HostileCase Bytes(string name, string method, byte[] payload, string? error, string? ok = null) =>
        new(name, ok ?? $"{Unmarshal}{error}\"", async s =>
        {
            byte[] answer = await RawGrpc.CallAsync(s.Channel, method, payload, s.Admin);
            return method.EndsWith("/Range", StringComparison.Ordinal) ? Outcome.Of(RawGrpc.Parse<RangeResponse>(answer)) : $"answer of {answer.Length} bytes";
        });

    /// <summary>
    /// A KV/Range call written frame by frame (HTTP/2 with prior knowledge), so the gRPC framing itself can be wrong; the
    /// outcome is the HTTP status and the grpc-status and grpc-message the server ends with.
    /// </summary>
    private static HostileCase Framed(string name, byte[] body, string expected, string contentType = "application/grpc") =>
        new(name, expected, s => H2Async(s, "/etcdserverpb.KV/Range", body, contentType));

    public static async Task<string> H2Async(HostileSide s, string path, byte[] body, string contentType)
    {
        using var http = new HttpClient(new SocketsHttpHandler()) { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Post, s.ClientUrl + path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request);
        }
        catch (HttpRequestException e) when (System.Text.RegularExpressions.Regex.Match(e.Message, "HTTP/2 error code '([A-Z_]+)'") is { Success: true } m)
        {
            return $"stream reset ({m.Groups[1].Value})";
        }
        using HttpResponseMessage disposing = response;
        byte[] content = await response.Content.ReadAsByteArrayAsync();
        string Header(string name) =>
            response.TrailingHeaders.TryGetValues(name, out var t) ? t.First()
            : response.Headers.TryGetValues(name, out var h) ? h.First() : "-";
        string status = Header("grpc-status");
        // grpc-go sends an empty grpc-message with grpc-status 0, grpc-dotnet none: the same to a client
        string message = Header("grpc-message") is "-" && status == "0" ? "" : Uri.UnescapeDataString(Header("grpc-message"));
        string text = status == "-" ? $" body \"{System.Text.Encoding.UTF8.GetString(content).Trim()}\"" : $" grpc-status {status} \"{message}\"";
        return $"HTTP {(int)response.StatusCode}{text}";
    }
}
