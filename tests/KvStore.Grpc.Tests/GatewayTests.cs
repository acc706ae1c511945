using System.Buffers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Etcdserverpb;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Core.Interceptors;
using KvStore.Grpc.Gateway;
using Microsoft.Extensions.DependencyInjection;
using static KvStore.Grpc.Tests.GatewayClient;

namespace KvStore.Grpc.Tests;

/// <summary>Refuses a call whose metadata carries "x-deny", naming the method: shows interceptors and metadata reach gateway calls.</summary>
public sealed class DenyInterceptor : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, responseStream, context);
    }

    private static void Check(ServerCallContext context)
    {
        if (context.RequestHeaders.GetValue("x-deny") is { } value)
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"denied {context.Method} ({value}) at {context.GetHttpContext().Request.Path}"));
    }
}

/// <summary>A gateway with the DenyInterceptor registered next to the host's own interceptors.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public GatewayHost Host { get; private set; } = null!;
    public GatewayClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await GatewayHost.StartAsync(services: s => s.Configure<GrpcServiceOptions>(o => o.Interceptors.Add<DenyInterceptor>()));
        Client = new GatewayClient(Host.Address);
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (Host is not null) await Host.DisposeAsync();
    }
}

/// <summary>The gateway on its own: what has no etcd 3.4 counterpart to compare with, and its JSON writer.</summary>
public sealed class GatewayTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private readonly GatewayClient _client = fixture.Client;

    [Fact]
    public async Task AllVersionPrefixesServe()
    {
        await _client.PostAsync("/v3/kv/put", $"{{\"key\":\"{B64("gwt/v")}\",\"value\":\"{B64("1")}\"}}");
        foreach (string version in new[] { "/v3", "/v3beta", "/v3alpha" })
        {
            GatewayAnswer a = await _client.PostAsync(version + "/kv/range", $"{{\"key\":\"{B64("gwt/v")}\"}}");
            Assert.Equal(200, a.Status);
            Assert.Equal(B64("1"), JsonNode.Parse(a.Body)!["kvs"]![0]!["value"]!.GetValue<string>());
        }
    }

    /// <summary>The Auth service is in this build: its routes reach it (compared with etcd's in GatewayAuthTests).</summary>
    [Fact]
    public async Task AuthRoutesReachTheAuthService()
    {
        Assert.NotNull(typeof(KvService).Assembly.GetType(GatewayExtensions.AuthServiceName));
        GatewayAnswer a = await _client.PostAsync("/v3/auth/user/get", "{\"name\":\"nobody\"}");
        Assert.Equal(412, a.Status);
        Assert.Contains("etcdserver: user name not found", a.Body);
    }

    [Fact]
    public async Task CallsPassThroughTheInterceptorsWithMetadataFromHeaders()
    {
        using var http = new HttpClient();
        var request = new HttpRequestMessage(HttpMethod.Post, fixture.Host.Address + "/v3/kv/range") { Content = new StringContent("{}") };
        request.Headers.Add("Grpc-Metadata-X-Deny", "yes");
        using HttpResponseMessage r = await http.SendAsync(request);
        Assert.Equal(403, (int)r.StatusCode);
        Assert.Equal("{\"error\":\"denied /etcdserverpb.KV/Range (yes) at /v3/kv/range\",\"message\":\"denied /etcdserverpb.KV/Range (yes) at /v3/kv/range\",\"code\":7}",
            await r.Content.ReadAsStringAsync());

        // a stream refused before its first message answers as a unary call does
        var watch = new HttpRequestMessage(HttpMethod.Post, fixture.Host.Address + "/v3/watch") { Content = new StringContent("{}") };
        watch.Headers.Add("Grpc-Metadata-X-Deny", "w");
        using HttpResponseMessage w = await http.SendAsync(watch);
        Assert.Equal(403, (int)w.StatusCode);
        Assert.Equal("{\"error\":\"denied /etcdserverpb.Watch/Watch (w) at /v3/watch\",\"message\":\"denied /etcdserverpb.Watch/Watch (w) at /v3/watch\",\"code\":7}",
            await w.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// A watch body streamed over time (chunked, on a raw connection: HttpClient sends an HTTP/1.1 body before it
    /// reads the answer): each request is decoded as soon as it is complete, and answered at once.
    /// </summary>
    [Fact]
    public async Task WatchRequestsAreReadAsTheyArrive()
    {
        var address = new Uri(fixture.Host.Address);
        int watchers = fixture.Host.Server.Store.SyncedWatcherCount;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        NetworkStream net = tcp.GetStream();
        var received = new StringBuilder();
        var buffer = new byte[65536];

        await Send("POST /v3/watch HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n");
        await SendChunk($"{{\"create_request\":{{\"key\":\"{B64("gwt/w/a")}\"}}}}");
        await Until("\"created\":true");
        Assert.StartsWith("HTTP/1.1 200 OK", received.ToString());

        // the second request arrives in two pieces, split inside a string
        string second = $"{{\"create_request\":{{\"key\":\"{B64("gwt/w/b")}\",\"watch_id\":\"5\"}}}}";
        await SendChunk(second[..20]);
        await Task.Delay(100);
        Assert.DoesNotContain("\"watch_id\":\"5\"", received.ToString());
        await SendChunk(second[20..]);
        await Until("\"watch_id\":\"5\",\"created\":true");

        await _client.PostAsync("/v3/kv/put", $"{{\"key\":\"{B64("gwt/w/b")}\",\"value\":\"{B64("x")}\"}}");
        await Until(B64("gwt/w/b") + "\",\"create_revision\"");

        // closing the body closes the client's side only: events still come (as etcd)
        await Send("0\r\n\r\n");
        await _client.PostAsync("/v3/kv/put", $"{{\"key\":\"{B64("gwt/w/a")}\",\"value\":\"{B64("y")}\"}}");
        await Until(B64("gwt/w/a") + "\",\"create_revision\"");
        Assert.Equal(watchers + 2, fixture.Host.Server.Store.SyncedWatcherCount);

        // the client going away ends the call and its watchers
        tcp.Close();
        for (int i = 0; i < 100 && fixture.Host.Server.Store.SyncedWatcherCount != watchers; i++) await Task.Delay(100);
        Assert.Equal(watchers, fixture.Host.Server.Store.SyncedWatcherCount);

        async Task Send(string text) => await net.WriteAsync(Encoding.UTF8.GetBytes(text));

        Task SendChunk(string text) => Send($"{Encoding.UTF8.GetByteCount(text):x}\r\n{text}\r\n");

        async Task Until(string expected)
        {
            using var timeout = new CancellationTokenSource(10_000);
            while (!received.ToString().Contains(expected, StringComparison.Ordinal))
            {
                int n = await net.ReadAsync(buffer, timeout.Token);
                Assert.NotEqual(0, n);
                received.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }
        }
    }

    /// <summary>A message nested deeper than protobuf would parse it off the wire never reaches a service.</summary>
    [Fact]
    public async Task TooDeepMessagesAreRefused()
    {
        string txn = "{}";
        for (int i = 0; i < 101; i++) txn = $"{{\"success\":[{{\"request_txn\":{txn}}}]}}";
        GatewayAnswer a = await _client.PostAsync("/v3/kv/txn", txn);
        Assert.Equal(400, a.Status);
        Assert.Equal(3, JsonNode.Parse(a.Body)!["code"]!.GetValue<int>());
        Assert.Equal(200, (await _client.PostAsync("/v3/kv/range", $"{{\"key\":\"{B64("gwt/alive")}\"}}")).Status);
    }

    public static TheoryData<string, string> Messages => new()
    {
        // Go's encoding/json string escapes (HTML-safe, U+2028/9, lone surrogates as U+FFFD)
        { "status", "{\"version\":\"\\u003ca\\u0026b\\u003e\\\"\\\\\\n\\r\\t\\u0001\\u001fé\\u2028\\u2029\\ufffd😀\"}" },
        // defaults left out; a set oneof member written even when it holds its default
        { "compare", "{\"key\":\"AA==\",\"version\":\"0\"}" },
        { "op", "{\"request_range\":{}}" },
        // 32-bit integers as numbers, 64-bit as strings, unknown enum values as numbers
        { "hash", "{\"hash\":4294967295}" },
        { "range", "{\"limit\":\"-1\",\"sort_order\":7,\"sort_target\":\"MOD\"}" },
        { "empty", "{}" },
        { "keys", "{\"ID\":\"1\",\"keys\":[\"\",\"/w==\"]}" },
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void WriterMatchesJsonpb(string name, string expected)
    {
        Google.Protobuf.IMessage message = name switch
        {
            "status" => new StatusResponse { Version = "<a&b>\"\\\n\r\t\u0001\u001fé\u2028\u2029\ud800😀" },
            "compare" => new Compare { Key = Google.Protobuf.ByteString.CopyFrom(0), Version = 0 },
            "op" => new RequestOp { RequestRange = new RangeRequest() },
            "hash" => new HashResponse { Hash = uint.MaxValue },
            "range" => new RangeRequest { Key = Google.Protobuf.ByteString.Empty, Limit = -1, SortOrder = (RangeRequest.Types.SortOrder)7, SortTarget = RangeRequest.Types.SortTarget.Mod },
            "keys" => new LeaseTimeToLiveResponse { ID = 1, Keys = { Google.Protobuf.ByteString.Empty, Google.Protobuf.ByteString.CopyFrom(0xFF) } },
            _ => new PutResponse(),
        };
        var output = new ArrayBufferWriter<byte>();
        GatewayJsonWriter.WriteMessage(output, message);
        Assert.Equal(expected, Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void StreamErrorChunkIsGrpcGateways()
    {
        var output = new ArrayBufferWriter<byte>();
        GatewayErrors.WriteStreamChunk(output, new Status(StatusCode.NotFound, "etcdserver: requested lease not found"));
        Assert.Equal("{\"error\":{\"grpc_code\":5,\"http_code\":404,\"message\":\"etcdserver: requested lease not found\",\"http_status\":\"Not Found\"}}",
            Encoding.UTF8.GetString(output.WrittenSpan));
    }
}

/// <summary>Strings as Go's encoding/json escapes them, against etcd 3.4: a member name full of characters to escape.</summary>
public sealed class GatewayStringTests
{
    [Fact]
    public async Task MemberNamesAreEscapedAsEtcdDoes()
    {
        const string name = "gw<&>é\u2028\"\\\t\u0001x";
        await using EtcdProcess etcd = await EtcdProcess.StartAsync(name);
        await using GatewayHost kv = await GatewayHost.StartAsync(name);
        using var etcdClient = new GatewayClient(etcd.ClientUrl);
        using var kvClient = new GatewayClient(kv.Address);
        string expected = (await etcdClient.PostAsync("/v3/cluster/member/list", "{}")).Body;
        string actual = (await kvClient.PostAsync("/v3/cluster/member/list", "{}")).Body;
        Assert.Contains("\"name\":\"gw\\u003c\\u0026\\u003eé\\u2028\\\"\\\\\\t\\u0001x\"", expected);
        Assert.Equal(NameOf(expected), NameOf(actual));

        static string NameOf(string json)
        {
            int start = json.IndexOf("\"name\":", StringComparison.Ordinal);
            return json[start..json.IndexOf(",\"peerURLs\"", start, StringComparison.Ordinal)];
        }
    }
}
