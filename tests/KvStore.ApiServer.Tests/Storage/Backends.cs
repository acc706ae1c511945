using KvStore.ApiServer.Storage;
using KvStore.Grpc.Embedded;
using KvStore.Server;

namespace KvStore.ApiServer.Tests.Storage;

/// <summary>An etcd v3 store for a test class: started once, reached through <see cref="IKeyValue"/>.</summary>
public interface IStoreBackend
{
    IKeyValue Kv { get; }
}

/// <summary>A kvstore member in this process; the facade calls it through its InProcessCallInvoker (no socket).</summary>
public sealed class EmbeddedBackend : IStoreBackend, IAsyncLifetime
{
    private EmbeddedMember? _member;
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "kvstore-apiserver-storage", Guid.NewGuid().ToString("N"));

    public IKeyValue Kv { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        int peer = Ports.Free();
        _member = await EmbeddedMember.StartAsync(new ServerConfig
        {
            DataDir = _dataDir,
            ListenPeerUrls = [new($"http://127.0.0.1:{peer}")],
            InitialAdvertisePeerUrls = [new($"http://127.0.0.1:{peer}")],
            InitialCluster = $"default=http://127.0.0.1:{peer}",
            ElectionTimeoutMs = 300,
            HeartbeatIntervalMs = 50,
            WatchProgressNotifyInterval = TimeSpan.FromSeconds(1),
        });
        Kv = new CallInvokerKeyValue(_member.CallInvoker);
    }

    public async Task DisposeAsync()
    {
        if (Kv is not null) await Kv.DisposeAsync();
        if (_member is not null) await _member.DisposeAsync();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Real etcd 3.4 (the reference) as one process on free loopback ports, reached over gRPC with <see cref="GrpcKeyValue"/>.</summary>
public sealed class EtcdBackend : IStoreBackend, IAsyncLifetime
{
    private EtcdProcess? _etcd;

    public IKeyValue Kv { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _etcd = await EtcdProcess.StartAsync("default", extra: ["--experimental-watch-progress-notify-interval", "1s"]);
        Kv = new GrpcKeyValue([new Uri(_etcd.ClientUrl)]);
    }

    public async Task DisposeAsync()
    {
        if (Kv is not null) await Kv.DisposeAsync();
        if (_etcd is not null) await _etcd.DisposeAsync();
    }
}
