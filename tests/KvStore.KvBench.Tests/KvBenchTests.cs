using System.Text.Json;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Net.Client;

namespace KvStore.KvBench.Tests;

/// <summary>kvbench run in process against a real etcd; what it wrote is checked through etcd itself.</summary>
public sealed class KvBenchTests(EtcdFixture etcd) : IClassFixture<EtcdFixture>
{
    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await Cli.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private async Task<JsonElement> RunJsonAsync(params string[] args)
    {
        var (code, output, error) = await RunAsync([.. args, "--endpoints", etcd.Endpoint, "--output", "json"]);
        Assert.True(code == 0, $"exit {code}: {output}{error}");
        return JsonDocument.Parse(output).RootElement;
    }

    /// <summary>Every key (from "\0" to the end of the key space), read through a separate channel.</summary>
    private async Task<RangeResponse> RangeAllAsync(bool countOnly = true)
    {
        using var channel = GrpcChannel.ForAddress(etcd.Endpoint);
        var all = ByteString.CopyFrom(0);
        return await new KV.KVClient(channel).RangeAsync(new RangeRequest { Key = all, RangeEnd = all, CountOnly = countOnly });
    }

    [Fact]
    public async Task Put_writes_total_requests_over_the_key_space()
    {
        var before = (await RangeAllAsync()).Header.Revision;
        var result = await RunJsonAsync("put", "--total", "600", "--clients", "8", "--conns", "3",
            "--key-space-size", "150", "--sequential-keys", "--key-size", "9", "--val-size", "20");

        Assert.Equal(600, result.GetProperty("succeeded").GetInt64());
        Assert.Equal(0, result.GetProperty("failed").GetInt64());
        Assert.True(result.GetProperty("requestsPerSecond").GetDouble() > 0);
        var latency = result.GetProperty("latencyMs");
        Assert.True(latency.GetProperty("p50").GetDouble() <= latency.GetProperty("p99").GetDouble());
        Assert.True(latency.GetProperty("p99").GetDouble() <= latency.GetProperty("max").GetDouble());

        var all = await RangeAllAsync(countOnly: false);
        Assert.Equal(before + 600, all.Header.Revision);
        var written = all.Kvs.Where(kv => kv.Key.Length == 9).ToList();
        Assert.Equal(150, written.Count);
        Assert.All(written, kv => Assert.Equal(20, kv.Value.Length));
        Assert.All(written, kv => Assert.Equal(4, kv.Version)); // 600 sequential puts over 150 keys
    }

    [Fact]
    public async Task Txn_put_commits_one_revision_per_txn_with_txn_ops_keys()
    {
        var before = (await RangeAllAsync()).Header.Revision;
        var result = await RunJsonAsync("txn-put", "--total", "40", "--clients", "4", "--txn-ops", "3",
            "--key-space-size", "30", "--key-size", "11");

        Assert.Equal(40, result.GetProperty("succeeded").GetInt64());
        var all = await RangeAllAsync(countOnly: false);
        Assert.Equal(before + 40, all.Header.Revision);
        Assert.Equal(30, all.Kvs.Count(kv => kv.Key.Length == 11));
        Assert.Equal(120, all.Kvs.Where(kv => kv.Key.Length == 11).Sum(kv => kv.Version));
    }

    [Theory]
    [InlineData("l")]
    [InlineData("s")]
    public async Task Range_reads_the_key_total_times(string consistency)
    {
        var result = await RunJsonAsync("range", "no-such-key", "--consistency", consistency, "--total", "300", "--clients", "5");
        Assert.Equal(300, result.GetProperty("succeeded").GetInt64());
        Assert.Contains(consistency == "l" ? "linearizable" : "serializable", result.GetProperty("setting").GetString());
    }

    [Fact]
    public async Task Watch_latency_takes_one_sample_per_watcher_and_put()
    {
        var result = await RunJsonAsync("watch-latency", "--total", "20", "--put-rate", "200", "--clients", "3", "--conns", "2");
        Assert.Equal(60, result.GetProperty("succeeded").GetInt64());
    }

    [Fact]
    public async Task Failed_requests_are_counted_by_status_code()
    {
        // The warm-up fails first when nothing listens: the run ends with the status, exit code 1.
        var (code, _, error) = await RunAsync("put", "--total", "5", "--endpoints", $"http://127.0.0.1:{Ports.Free()}");
        Assert.Equal(1, code);
        Assert.Contains("Unavailable", error);

        // Requests etcd rejects are results: an over-large request is ResourceExhausted / InvalidArgument.
        var (code2, output, _) = await RunAsync("put", "--total", "3", "--val-size", "2000000", "--endpoints", etcd.Endpoint, "--output", "json");
        Assert.Equal(1, code2);
        var result = JsonDocument.Parse(output).RootElement;
        Assert.Equal(0, result.GetProperty("succeeded").GetInt64());
        Assert.Equal(3, result.GetProperty("failed").GetInt64());
        Assert.Single(result.GetProperty("errors").EnumerateObject());
    }

    [Theory]
    [InlineData("put", "--bogus")]
    [InlineData("put", "--key-size", "1", "--key-space-size", "100")]
    [InlineData("range")]
    [InlineData("range", "k", "--consistency", "x")]
    [InlineData("txn-put", "--txn-ops", "5", "--key-space-size", "4")]
    [InlineData("nosuchcommand")]
    public async Task Bad_command_lines_exit_2_with_usage(params string[] args)
    {
        var (code, _, error) = await RunAsync(args);
        Assert.Equal(2, code);
        Assert.Contains("Usage: kvbench", error);
    }

    [Theory]
    [InlineData(0L, new byte[] { 0x00, 0, 0, 0 })]
    [InlineData(1L, new byte[] { 0x02, 0, 0, 0 })]
    [InlineData(63L, new byte[] { 0x7e, 0, 0, 0 })]
    [InlineData(64L, new byte[] { 0x80, 0x01, 0, 0 })]
    [InlineData(300L, new byte[] { 0xd8, 0x04, 0, 0 })]
    public void Keys_are_go_varints_zero_padded(long n, byte[] expected)
    {
        var key = new byte[] { 9, 9, 9, 9 };
        KeySpace.Write(key, n);
        Assert.Equal(expected, key);
    }
}
