using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace KvStore.Host.Tests;

/// <summary>
/// The built kvstore process serves etcd's HTTP/1.1 endpoints and gRPC over h2c on one client port, the
/// metrics endpoints on --listen-metrics-urls, and stops cleanly on SIGTERM/SIGINT.
/// </summary>
[Collection(KvStoreProcessCollection.Name)]
public sealed class ServingTests
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task ClientPort_serves_health_version_and_metrics_over_http11()
    {
        using var member = new Member();
        member.Process.WaitUntilReady();

        // etcd 3.5: {"health":"true","reason":""} with 200.
        using var health = await GetAsync(member.ClientUrl + "/health", HttpVersion.Version11);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpVersion.Version11, health.Version);
        Assert.Equal("""{"health":"true","reason":""}""", await health.Content.ReadAsStringAsync());

        using var version = await GetAsync(member.ClientUrl + "/version", HttpVersion.Version11);
        Assert.Equal(HttpStatusCode.OK, version.StatusCode);
        Assert.Equal("""{"etcdserver":"3.5.16","etcdcluster":"3.5.0"}""", await version.Content.ReadAsStringAsync());

        using var metrics = await GetAsync(member.ClientUrl + "/metrics", HttpVersion.Version11);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.Contains("\netcd_server_has_leader 1\n", text);
        Assert.Contains("\netcd_server_is_leader 1\n", text);
        Assert.Contains("\netcd_mvcc_db_total_size_in_bytes ", text);
        Assert.Contains("\netcd_server_proposals_committed_total ", text);
        Assert.Contains("\netcd_server_proposals_applied_total ", text);
        Assert.Contains("\netcd_disk_wal_fsync_duration_seconds_bucket{le=\"0.001\"} ", text);
        Assert.Contains("\netcd_server_version{server_version=\"3.5.16\"} 1\n", text);
        Assert.Contains("\nprocess_start_time_seconds ", text);
    }

    [Fact]
    public async Task Metrics_urls_serve_metrics_and_health_over_http11()
    {
        using var member = new Member();
        member.Process.WaitUntilReady();

        using var health = await GetAsync(member.MetricsUrl + "/health", HttpVersion.Version11);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("true", JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement.GetProperty("health").GetString());

        using var metrics = await GetAsync(member.MetricsUrl + "/metrics", HttpVersion.Version11);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Contains("\netcd_server_has_leader 1\n", await metrics.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ClientPort_answers_prior_knowledge_http2_and_http11_alternately()
    {
        using var member = new Member();
        member.Process.WaitUntilReady();

        for (var i = 0; i < 3; i++)
        {
            using var h2 = await GetAsync(member.ClientUrl + "/version", HttpVersion.Version20);
            Assert.Equal(HttpVersion.Version20, h2.Version);
            Assert.Equal(HttpStatusCode.OK, h2.StatusCode);
            using var h1 = await GetAsync(member.ClientUrl + "/version", HttpVersion.Version11);
            Assert.Equal(HttpVersion.Version11, h1.Version);
            Assert.Equal(HttpStatusCode.OK, h1.StatusCode);
        }
    }

    [Fact]
    public async Task Every_client_url_serves_both_protocols()
    {
        var first = $"http://127.0.0.1:{Ports.Free()}";
        var second = $"http://127.0.0.1:{Ports.Free()}";
        // Given after the member's own URL flags: the last occurrence of a flag wins, as in Go.
        using var member = new Member(["--listen-client-urls", $"{first},{second}", "--advertise-client-urls", first]);
        member.Process.WaitUntilReady();

        foreach (var url in new[] { first, second })
        {
            using var h1 = await GetAsync(url + "/health", HttpVersion.Version11);
            Assert.Equal(HttpStatusCode.OK, h1.StatusCode);
            using var channel = GrpcChannel.ForAddress(url);
            var range = await new KV.KVClient(channel).RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("x") }, deadline: DateTime.UtcNow.AddSeconds(30));
            Assert.Empty(range.Kvs);
        }
    }

    [Fact]
    public async Task ClientPort_decides_the_protocol_from_bytes_that_arrive_in_pieces()
    {
        using var member = new Member();
        member.Process.WaitUntilReady();

        // A one-byte start of an HTTP/1.1 request is not the preface: decided without waiting for 24 bytes.
        using (var http1 = new TcpClient())
        {
            await http1.ConnectAsync(IPAddress.Loopback, member.ClientPort);
            var stream = http1.GetStream();
            await stream.WriteAsync("G"u8.ToArray());
            await Task.Delay(200);
            await stream.WriteAsync(Encoding.ASCII.GetBytes("ET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
            var reply = await ReadAllAsync(stream);
            Assert.StartsWith("HTTP/1.1 200 OK", reply);
            Assert.Contains("\"etcdserver\":\"3.5.16\"", reply);
        }

        // The HTTP/2 preface split in two writes still reaches HTTP/2: the server's first frame is SETTINGS.
        using (var http2 = new TcpClient())
        {
            await http2.ConnectAsync(IPAddress.Loopback, member.ClientPort);
            var stream = http2.GetStream();
            await stream.WriteAsync("PRI * HTTP/2.0\r\n"u8.ToArray());
            await Task.Delay(200);
            await stream.WriteAsync("\r\nSM\r\n\r\n"u8.ToArray());
            await stream.WriteAsync(new byte[] { 0, 0, 0, 4, 0, 0, 0, 0, 0 }); // empty SETTINGS
            var header = new byte[9];
            await stream.ReadExactlyAsync(header).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(4, header[3]); // frame type SETTINGS
        }
    }

    [Fact]
    public async Task ClientPort_takes_grpc_calls_over_h2c_and_counts_them_in_metrics()
    {
        using var member = new Member();
        member.Process.WaitUntilReady();

        using var channel = GrpcChannel.ForAddress(member.ClientUrl);
        var kv = new KV.KVClient(channel);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var put = await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("foo"), Value = ByteString.CopyFromUtf8("bar") }, deadline: deadline);
        var range = await kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("foo") }, deadline: deadline);
        Assert.Equal("bar", Assert.Single(range.Kvs).Value.ToStringUtf8());
        Assert.Equal(put.Header.Revision, range.Header.Revision);
        var future = await Assert.ThrowsAsync<RpcException>(() =>
            kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("foo"), Revision = 1000 }, deadline: deadline).ResponseAsync);
        Assert.Equal(StatusCode.OutOfRange, future.StatusCode);

        // Every call is counted as go-grpc-prometheus counts it for etcd.
        var metrics = await Http.GetStringAsync(member.ClientUrl + "/metrics");
        Assert.Contains("grpc_server_started_total{grpc_type=\"unary\",grpc_service=\"etcdserverpb.KV\",grpc_method=\"Range\"} 2\n", metrics);
        Assert.Contains("grpc_server_handled_total{grpc_type=\"unary\",grpc_service=\"etcdserverpb.KV\",grpc_method=\"Put\",grpc_code=\"OK\"} 1\n", metrics);
        Assert.Contains("grpc_server_handled_total{grpc_type=\"unary\",grpc_service=\"etcdserverpb.KV\",grpc_method=\"Range\",grpc_code=\"OK\"} 1\n", metrics);
        Assert.Contains("grpc_server_handled_total{grpc_type=\"unary\",grpc_service=\"etcdserverpb.KV\",grpc_method=\"Range\",grpc_code=\"OutOfRange\"} 1\n", metrics);
        Assert.Contains("grpc_server_msg_sent_total{grpc_type=\"unary\",grpc_service=\"etcdserverpb.KV\",grpc_method=\"Range\"} 1\n", metrics);
        Assert.Matches(@"\netcd_server_proposals_applied_total [1-9]", metrics);
    }

    [Fact]
    public async Task Watch_streams_are_counted_as_bidi_streams()
    {
        using var member = new Member();
        member.Process.WaitUntilReady();

        using var channel = GrpcChannel.ForAddress(member.ClientUrl);
        using (var watch = new Watch.WatchClient(channel).Watch(deadline: DateTime.UtcNow.AddSeconds(30)))
        {
            await watch.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = ByteString.CopyFromUtf8("w") } });
            Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None));
            Assert.True(watch.ResponseStream.Current.Created);
            await watch.RequestStream.CompleteAsync();
        }

        var metrics = "";
        for (var i = 0; i < 100 && !metrics.Contains("grpc_server_handled_total{grpc_type=\"bidi_stream\"", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            metrics = await Http.GetStringAsync(member.MetricsUrl + "/metrics");
        }
        Assert.Contains("grpc_server_started_total{grpc_type=\"bidi_stream\",grpc_service=\"etcdserverpb.Watch\",grpc_method=\"Watch\"} 1\n", metrics);
        Assert.Contains("grpc_server_msg_received_total{grpc_type=\"bidi_stream\",grpc_service=\"etcdserverpb.Watch\",grpc_method=\"Watch\"} 1\n", metrics);
        Assert.Contains("grpc_server_msg_sent_total{grpc_type=\"bidi_stream\",grpc_service=\"etcdserverpb.Watch\",grpc_method=\"Watch\"} 1\n", metrics);
        Assert.Contains("grpc_server_handled_total{grpc_type=\"bidi_stream\",grpc_service=\"etcdserverpb.Watch\",grpc_method=\"Watch\",grpc_code=", metrics);
    }

    [Fact]
    public async Task Etcdctl_uses_the_client_port_like_etcds()
    {
        using var member = new Member();
        member.Process.WaitUntilReady();

        Assert.Equal("OK", (await EtcdctlOk.RunAsync(member.ClientUrl, "put", "greeting", "hello")).Trim());
        Assert.Equal("greeting\nhello", (await EtcdctlOk.RunAsync(member.ClientUrl, "get", "greeting")).Trim());
        Assert.Contains($"{member.ClientUrl} is healthy", await EtcdctlOk.RunAsync(member.ClientUrl, "endpoint", "health"));
    }

    [Fact]
    public async Task Health_is_false_with_etcds_reason_while_the_nospace_alarm_is_raised()
    {
        using var member = new Member(["--quota-backend-bytes", "1"]);
        member.Process.WaitUntilReady();

        using var channel = GrpcChannel.ForAddress(member.ClientUrl);
        var put = await Assert.ThrowsAsync<RpcException>(() =>
            new KV.KVClient(channel).PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("k"), Value = ByteString.CopyFromUtf8("v") }, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, put.StatusCode);

        HttpResponseMessage? health = null;
        for (var i = 0; i < 100; i++)
        {
            health?.Dispose();
            health = await GetAsync(member.ClientUrl + "/health", HttpVersion.Version11);
            if (health.StatusCode != HttpStatusCode.OK)
            {
                break;
            }
            await Task.Delay(100);
        }
        using (health)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health!.StatusCode);
            Assert.Equal("{\"health\":\"false\",\"reason\":\"ALARM NOSPACE\"}\n", await health.Content.ReadAsStringAsync());
        }
        using var excluded = await GetAsync(member.MetricsUrl + "/health?exclude=NOSPACE", HttpVersion.Version11);
        Assert.Equal(HttpStatusCode.OK, excluded.StatusCode);
    }

    [Theory]
    [InlineData(KvStoreProcess.SigTerm)]
    [InlineData(KvStoreProcess.SigInt)]
    public void A_stop_signal_stops_the_member_cleanly_with_exit_code_0(int signal)
    {
        using var member = new Member();
        member.Process.WaitUntilReady();

        member.Process.Signal(signal);
        // A generous bound: on this 2-core box the suite runs next to other builds; the log says where it stuck.
        int? exit = member.Process.WaitForExit(TimeSpan.FromSeconds(90));
        Assert.True(exit == 0, $"exit code {exit?.ToString() ?? "none (still running)"}; output:\n{member.Process.Output}");
        Assert.Contains("stopped the member", member.Process.Output);
    }

    [Fact]
    public void A_client_port_in_use_fails_with_a_message()
    {
        using var first = new Member();
        first.Process.WaitUntilReady();
        using var second = new Member(["--listen-client-urls", first.ClientUrl, "--advertise-client-urls", first.ClientUrl]);

        Assert.Equal(1, second.Process.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("address already in use", second.Process.Output, StringComparison.OrdinalIgnoreCase);
    }

    private static Task<HttpResponseMessage> GetAsync(string url, Version version) =>
        Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, url) { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact });

    private static async Task<string> ReadAllAsync(NetworkStream stream)
    {
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }
}

[CollectionDefinition(Name)]
public sealed class KvStoreProcessCollection
{
    /// <summary>The tests that start kvstore processes run one at a time (the machine has 2 cores).</summary>
    public const string Name = "kvstore processes";
}
