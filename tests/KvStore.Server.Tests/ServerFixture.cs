using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Server.Tests;

/// <summary>Starts real single-member servers on free loopback ports in temp data dirs, and stops them.</summary>
public sealed class TestMember : IAsyncDisposable
{
    private TestMember(ServerConfig config) => Config = config;

    public ServerConfig Config { get; }
    public EtcdServer Server { get; private set; } = null!;

    public static async Task<TestMember> StartAsync(Func<ServerConfig, ServerConfig>? configure = null)
    {
        int port = Ports.Free();
        var config = new ServerConfig
        {
            DataDir = Path.Combine(Path.GetTempPath(), "kvstore-server-tests", Guid.NewGuid().ToString("N")),
            ListenPeerUrls = [new($"http://127.0.0.1:{port}")],
            InitialAdvertisePeerUrls = [new($"http://127.0.0.1:{port}")],
            InitialCluster = $"default=http://127.0.0.1:{port}",
            HeartbeatIntervalMs = 50,
            ElectionTimeoutMs = 300,
        };
        var member = new TestMember(configure?.Invoke(config) ?? config);
        await member.RestartAsync();
        return member;
    }

    /// <summary>Stops (cleanly) and starts the member again on the same data dir.</summary>
    public async Task RestartAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
        Server = await EtcdServer.StartAsync(Config, NullLoggerFactory.Instance, CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
        try { Directory.Delete(Config.DataDir, recursive: true); } catch (IOException) { }
    }
}
