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

/// <summary>
/// One real etcd member process (apt etcd-server, 3.4) with a temp data dir; disposing kills it and deletes the dir.
/// Several started with the same <c>initialCluster</c> form a cluster.
/// </summary>
public sealed class EtcdProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private EtcdProcess(ChildProcess process, string dataDir, string clientUrl)
    {
        _process = process;
        DataDir = dataDir;
        ClientUrl = clientUrl;
    }

    public string DataDir { get; }

    /// <summary>http://127.0.0.1:port</summary>
    public string ClientUrl { get; }

    /// <summary>Disposed (killed) already.</summary>
    public bool Stopped { get; private set; }

    public string Log => _process.Output;

    /// <summary>Starts one member and waits until it serves a linearizable read (it has a leader).</summary>
    public static async Task<EtcdProcess> StartAsync(string name, string[]? extra = null)
    {
        int peer = Ports.Free();
        EtcdProcess etcd = Launch(name, Ports.Free(), peer, $"{name}=http://127.0.0.1:{peer}", extra);
        try
        {
            await etcd.WaitReadyAsync();
            return etcd;
        }
        catch
        {
            await etcd.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a member of a new cluster without waiting (the others must start before any has a leader).</summary>
    public static EtcdProcess Launch(string name, int clientPort, int peerPort, string initialCluster, string[]? extra = null)
    {
        string dataDir = Path.Combine(Path.GetTempPath(), "kvstore-apiserver-etcd", Guid.NewGuid().ToString("N"));
        string client = $"http://127.0.0.1:{clientPort}";
        string peer = $"http://127.0.0.1:{peerPort}";
        return new EtcdProcess(new ChildProcess("etcd",
        [
            "--name", name, "--data-dir", dataDir,
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", initialCluster, .. extra ?? [],
        ]), dataDir, client);
    }

    /// <summary>Until a linearizable range through the gRPC gateway succeeds.</summary>
    public async Task WaitReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException("etcd exited: " + Log);
            try
            {
                using HttpResponseMessage r = await http.PostAsync(ClientUrl + "/v3/kv/range", new StringContent("{\"key\":\"AA==\"}"));
                if (r.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("etcd did not become ready: " + Log);
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Stopped) return;
        Stopped = true;
        await Task.Run(_process.Dispose);
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
