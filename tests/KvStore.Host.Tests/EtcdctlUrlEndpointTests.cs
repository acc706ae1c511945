using System.Text.Json;

namespace KvStore.Host.Tests;

/// <summary>
/// etcdctl 3.4's per-endpoint commands dial <c>--endpoints=http://host:port</c> through grpc-go's passthrough
/// resolver, which sends the whole URL as <c>:authority</c>; the host rewrites it so Kestrel accepts the request.
/// </summary>
[Collection(KvStoreProcessCollection.Name)]
public sealed class EtcdctlUrlEndpointTests
{
    [Fact]
    public async Task Per_endpoint_commands_work_with_url_endpoints()
    {
        using var member = new Member();
        member.Process.WaitUntilReady();
        Assert.Equal("OK", (await EtcdctlOk.RunAsync(member.ClientUrl, "put", "greeting", "hello")).Trim());

        using var status = JsonDocument.Parse(await EtcdctlOk.RunAsync(member.ClientUrl, "endpoint", "status", "-w", "json"));
        var entry = Assert.Single(status.RootElement.EnumerateArray());
        Assert.Equal(member.ClientUrl, entry.GetProperty("Endpoint").GetString());
        var header = entry.GetProperty("Status").GetProperty("header");
        Assert.Equal(2, header.GetProperty("revision").GetInt64());
        Assert.Equal(header.GetProperty("member_id").GetUInt64(), entry.GetProperty("Status").GetProperty("leader").GetUInt64());

        var hashkv = (await EtcdctlOk.RunAsync(member.ClientUrl, "endpoint", "hashkv")).Trim();
        Assert.StartsWith(member.ClientUrl + ", ", hashkv);
        Assert.NotEqual(member.ClientUrl + ", 0", hashkv);

        Assert.Contains($"Finished defragmenting etcd member[{member.ClientUrl}]", await EtcdctlOk.RunAsync(member.ClientUrl, "defrag"));

        // The same connection-level path still serves the ordinary commands.
        Assert.Equal("greeting\nhello", (await EtcdctlOk.RunAsync(member.ClientUrl, "get", "greeting")).Trim());
    }
}
