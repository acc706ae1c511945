using Etcdserverpb;
using KvStore.Grpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Server.Tests;

/// <summary>
/// A cluster of real members in this process: each an <see cref="EtcdServer"/> on a free loopback peer port
/// (Raft and the internal Forward service) plus Kestrel (h2c) on a free client port serving the etcd services, in a
/// temp data dir. Members can be stopped one by one; everything is stopped on dispose.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly ServerConfig[] _configs;
    private readonly EtcdServer?[] _servers;
    private readonly WebApplication?[] _apps;

    private TestCluster(ServerConfig[] configs)
    {
        _configs = configs;
        _servers = new EtcdServer?[configs.Length];
        _apps = new WebApplication?[configs.Length];
    }

    public int Size => _configs.Length;

    /// <summary>The running member <paramref name="i"/> (throws when stopped).</summary>
    public EtcdServer this[int i] => _servers[i] ?? throw new InvalidOperationException($"member {i} is stopped");

    public bool IsRunning(int i) => _servers[i] is not null;

    public IEnumerable<int> Running => Enumerable.Range(0, Size).Where(IsRunning);

    public string ClientUrl(int i) => _configs[i].AdvertiseClientUrls[0].ToString().TrimEnd('/');

    /// <summary>The member's peer URL (Raft and the member-internal Forward service).</summary>
    public string PeerUrl(int i) => _configs[i].InitialAdvertisePeerUrls[0].ToString().TrimEnd('/');

    public static async Task<TestCluster> StartAsync(int size = 3)
    {
        string root = Path.Combine(Path.GetTempPath(), "kvstore-server-tests", Guid.NewGuid().ToString("N"));
        int[] peer = Enumerable.Range(0, size).Select(_ => Ports.Free()).ToArray();
        int[] client = Enumerable.Range(0, size).Select(_ => Ports.Free()).ToArray();
        string initial = string.Join(",", Enumerable.Range(0, size).Select(i => $"m{i}=http://127.0.0.1:{peer[i]}"));
        var configs = Enumerable.Range(0, size).Select(i => new ServerConfig
        {
            Name = $"m{i}",
            DataDir = Path.Combine(root, $"m{i}"),
            ListenPeerUrls = [new($"http://127.0.0.1:{peer[i]}")],
            InitialAdvertisePeerUrls = [new($"http://127.0.0.1:{peer[i]}")],
            ListenClientUrls = [new($"http://127.0.0.1:{client[i]}")],
            AdvertiseClientUrls = [new($"http://127.0.0.1:{client[i]}")],
            InitialCluster = initial,
            InitialClusterToken = "fwd-test",
            HeartbeatIntervalMs = 50,
            ElectionTimeoutMs = 500,
        }).ToArray();
        var cluster = new TestCluster(configs);
        try
        {
            // Every member waits for a leader while starting: start them together.
            await Task.WhenAll(Enumerable.Range(0, size).Select(cluster.StartMemberAsync));
            await cluster.WaitForLeaderAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task StartMemberAsync(int i)
    {
        ServerConfig config = _configs[i];
        EtcdServer server = await EtcdServer.StartAsync(config, NullLoggerFactory.Instance, CancellationToken.None);
        _servers[i] = server;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IEtcdServer>(server);
        builder.Services.AddKvStoreGrpc();
        builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(config.ListenClientUrls[0].Port, o => o.Protocols = HttpProtocols.Http2));
        WebApplication app = builder.Build();
        app.MapKvStoreGrpc();
        await app.StartAsync();
        _apps[i] = app;
    }

    /// <summary>Stops member <paramref name="i"/> (its client endpoint first, then the member).</summary>
    public async Task StopAsync(int i)
    {
        if (_apps[i] is { } app)
        {
            _apps[i] = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
        if (_servers[i] is { } server)
        {
            _servers[i] = null;
            await server.DisposeAsync();
        }
    }

    /// <summary>Starts stopped member <paramref name="i"/> again on its data dir and ports.</summary>
    public Task RestartAsync(int i) => IsRunning(i) ? throw new InvalidOperationException($"member {i} runs") : StartMemberAsync(i);

    /// <summary>Waits until every running member names the same running leader; returns its index.</summary>
    /// <summary>
    /// Proposes through member <paramref name="i"/>, proposing again while it answers NoLeader (nothing was proposed;
    /// a client retries Unavailable): under the whole suite's load the 500 ms election timeout can lapse between
    /// two requests. Other errors are returned as they are.
    /// </summary>
    public async Task<ProposeResult> ProposeAsync(int i, InternalRaftRequest request)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            ProposeResult r = await this[i].ProposeAsync(request.Clone(), default);
            if (r.Error != ServerError.NoLeader || DateTime.UtcNow > deadline) return r;
            await Task.Delay(50);
        }
    }

    public async Task<int> WaitForLeaderAsync(TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            ulong[] seen = Running.Select(i => this[i].LeaderId).Distinct().ToArray();
            int leader = Running.FirstOrDefault(i => this[i].IsLeader, -1);
            if (seen.Length == 1 && leader >= 0 && seen[0] == this[leader].MemberId) return leader;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no agreed leader: {string.Join(",", seen.Select(s => s.ToString("x")))}");
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds (polling).</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("timed out waiting: " + what);
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (int i = 0; i < Size; i++)
        {
            try
            {
                await StopAsync(i);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
            {
                // best effort: the rest must still stop
            }
        }
        foreach (ServerConfig c in _configs)
        {
            try { Directory.Delete(c.DataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
