using System.Net;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using KvStore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Grpc.Tests;

/// <summary>
/// A real single-member EtcdServer (DotNext Raft, WAL, engine) in a temp data dir, served by the gRPC services on
/// Kestrel (127.0.0.1, a free port, HTTP/2 only), and generated gRPC clients on a channel to it.
/// </summary>
public sealed class GrpcHost : IAsyncDisposable
{
    private WebApplication? _app;

    private GrpcHost(ServerConfig config) => Config = config;

    public ServerConfig Config { get; }
    public EtcdServer Server { get; private set; } = null!;
    public GrpcChannel Channel { get; private set; } = null!;
    public string Address { get; private set; } = "";

    public KV.KVClient Kv => new(Channel);
    public Watch.WatchClient Watch => new(Channel);
    public Lease.LeaseClient Lease => new(Channel);
    public Cluster.ClusterClient Cluster => new(Channel);
    public Maintenance.MaintenanceClient Maintenance => new(Channel);
    public V3lockpb.Lock.LockClient Lock => new(Channel);
    public V3electionpb.Election.ElectionClient Election => new(Channel);

    public static async Task<GrpcHost> StartAsync(Func<ServerConfig, ServerConfig>? configure = null)
    {
        int peerPort = Ports.Free();
        var config = new ServerConfig
        {
            DataDir = Path.Combine(Path.GetTempPath(), "kvstore-grpc-tests", Guid.NewGuid().ToString("N")),
            ListenPeerUrls = [new($"http://127.0.0.1:{peerPort}")],
            InitialAdvertisePeerUrls = [new($"http://127.0.0.1:{peerPort}")],
            InitialCluster = $"default=http://127.0.0.1:{peerPort}",
            HeartbeatIntervalMs = 50,
            ElectionTimeoutMs = 300,
        };
        var host = new GrpcHost(configure?.Invoke(config) ?? config);
        try
        {
            await host.StartCoreAsync();
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync()
    {
        Server = await EtcdServer.StartAsync(Config, NullLoggerFactory.Instance, CancellationToken.None);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("KVSTORE_TEST_LOG") == "1") builder.Logging.AddConsole().SetMinimumLevel(LogLevel.Debug);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddSingleton<IEtcdServer>(Server);
        builder.Services.AddKvStoreGrpc();
        _app = builder.Build();
        _app.MapKvStoreGrpc();
        await _app.StartAsync();
        Address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Channel = GrpcChannel.ForAddress(Address, new GrpcChannelOptions { MaxReceiveMessageSize = null, MaxSendMessageSize = null });
    }

    public async ValueTask DisposeAsync()
    {
        Channel?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (Server is not null) await Server.DisposeAsync();
        try { Directory.Delete(Config.DataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    public async Task<long> PutAsync(string key, string value, long lease = 0) =>
        (await Kv.PutAsync(new PutRequest { Key = B(key), Value = B(value), Lease = lease })).Header.Revision;

    /// <summary>A new lease of <paramref name="ttl"/> seconds.</summary>
    public async Task<long> GrantAsync(long ttl = 60) => (await Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = ttl })).ID;

    /// <summary>The keys under a prefix, in key order.</summary>
    public async Task<IReadOnlyList<Mvccpb.KeyValue>> PrefixAsync(string prefix)
    {
        byte[] end = System.Text.Encoding.UTF8.GetBytes(prefix);
        end[^1]++;
        return (await Kv.RangeAsync(new RangeRequest { Key = B(prefix), RangeEnd = ByteString.CopyFrom(end) })).Kvs;
    }

    /// <summary>Fails unless <paramref name="task"/> is still running after <paramref name="ms"/> milliseconds.</summary>
    public static async Task AssertPendingAsync(Task task, int ms = 300)
    {
        await Task.WhenAny(task, Task.Delay(ms));
        Assert.False(task.IsCompleted, "the call should still be waiting");
    }

    /// <summary>Waits at most 10 s for <paramref name="task"/>.</summary>
    public static async Task<T> WithinAsync<T>(Task<T> task, int seconds = 10) => await task.WaitAsync(TimeSpan.FromSeconds(seconds));

    /// <summary>The status an RPC fails with.</summary>
    public static async Task<Status> FailsWith(Func<Task> call)
    {
        RpcException e = await Assert.ThrowsAsync<RpcException>(call);
        return e.Status;
    }

    public static void AssertStatus(StatusCode code, string message, Status status)
    {
        Assert.Equal(code, status.StatusCode);
        Assert.Equal(message, status.Detail);
    }
}

/// <summary>One host shared by the tests of a class (each test uses its own keys).</summary>
public class HostFixture : IAsyncLifetime
{
    public GrpcHost Host { get; private set; } = null!;

    protected virtual ServerConfig Configure(ServerConfig c) => c;

    public async Task InitializeAsync() => Host = await GrpcHost.StartAsync(Configure);

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
