using Etcdserverpb;
using Google.Protobuf;
using KvStore.Host.Http;
using KvStore.Server;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Host.Tests;

/// <summary>etcd 3.5's /health decision on a real single member (in process): alarms, exclusions, reads.</summary>
public sealed class HealthCheckTests
{
    [Fact]
    public async Task A_nospace_alarm_makes_health_false_unless_excluded()
    {
        using var dir = new TempDir();
        var peer = $"http://127.0.0.1:{Ports.Free()}";
        await using var server = await EtcdServer.StartAsync(new ServerConfig
        {
            DataDir = dir.Path,
            ListenPeerUrls = [new(peer)],
            InitialAdvertisePeerUrls = [new(peer)],
            InitialCluster = "default=" + peer,
            QuotaBackendBytes = 1,
        }, NullLoggerFactory.Instance, CancellationToken.None);

        Assert.Equal(new HealthStatus("true", ""), await EtcdHttpEndpoints.CheckAsync(server, new HashSet<string>(), serializable: false, CancellationToken.None));

        var put = await server.ProposeAsync(new InternalRaftRequest { Put = new PutRequest { Key = ByteString.CopyFromUtf8("k"), Value = ByteString.CopyFromUtf8("v") } }, CancellationToken.None);
        Assert.Equal(ServerError.NoSpace, put.Error);
        for (var i = 0; i < 250 && server.Alarms.Count == 0; i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal(new HealthStatus("false", "ALARM NOSPACE"), await EtcdHttpEndpoints.CheckAsync(server, new HashSet<string>(), serializable: false, CancellationToken.None));
        Assert.Equal(new HealthStatus("false", "ALARM NOSPACE"), await EtcdHttpEndpoints.CheckAsync(server, new HashSet<string> { "CORRUPT" }, serializable: true, CancellationToken.None));
        Assert.Equal(new HealthStatus("true", ""), await EtcdHttpEndpoints.CheckAsync(server, new HashSet<string> { "NOSPACE" }, serializable: false, CancellationToken.None));
    }
}
