using System.Net;
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
/// A real single-member EtcdServer in a temp data dir with the JSON gateway (and the gRPC services) on Kestrel
/// over HTTP/1.1 on a free loopback port, as the host serves them on the client URL.
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private WebApplication? _app;

    private GatewayHost(ServerConfig config) => Config = config;

    public ServerConfig Config { get; }
    public EtcdServer Server { get; private set; } = null!;

    /// <summary>http://127.0.0.1:port, no trailing slash.</summary>
    public string Address { get; private set; } = "";

    /// <summary>Starts a member named <paramref name="name"/>; <paramref name="services"/> may add to the host's DI.</summary>
    public static async Task<GatewayHost> StartAsync(string name = "default", Action<IServiceCollection>? services = null)
    {
        int peerPort = Ports.Free();
        var config = new ServerConfig
        {
            Name = name,
            DataDir = Path.Combine(Path.GetTempPath(), "kvstore-gateway-tests", Guid.NewGuid().ToString("N")),
            ListenPeerUrls = [new($"http://127.0.0.1:{peerPort}")],
            InitialAdvertisePeerUrls = [new($"http://127.0.0.1:{peerPort}")],
            InitialCluster = $"{name}=http://127.0.0.1:{peerPort}",
            HeartbeatIntervalMs = 50,
            ElectionTimeoutMs = 300,
        };
        var host = new GatewayHost(config);
        try
        {
            host.Server = await EtcdServer.StartAsync(config, NullLoggerFactory.Instance, CancellationToken.None);
            WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            if (Environment.GetEnvironmentVariable("KVSTORE_TEST_LOG") == "1") builder.Logging.AddConsole().SetMinimumLevel(LogLevel.Debug);
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http1));
            builder.Services.AddSingleton<IEtcdServer>(host.Server);
            builder.Services.AddKvStoreGrpc();
            services?.Invoke(builder.Services);
            host._app = builder.Build();
            host._app.MapKvStoreGrpc();
            host._app.MapKvStoreGateway();
            await host._app.StartAsync();
            host.Address = host._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (Server is not null) await Server.DisposeAsync();
        try { Directory.Delete(Config.DataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
