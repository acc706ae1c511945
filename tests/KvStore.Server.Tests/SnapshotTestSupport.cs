using System.Collections.Concurrent;
using Etcdserverpb;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace KvStore.Server.Tests;

/// <summary>Collects every log line of the members that use it (to see which path a member took).</summary>
public sealed class CapturingLoggers : ILoggerFactory, ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public bool Contains(string text) => _lines.Any(l => l.Contains(text, StringComparison.Ordinal));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    private sealed class Logger(CapturingLoggers owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) owner._lines.Enqueue($"{category} {logLevel}: {formatter(state, exception)} {exception?.GetType().Name}");
        }
    }
}

/// <summary>N in-process members on free loopback peer ports, each with its own data dir; all stopped on dispose.</summary>
public sealed class SnapshotTestCluster : IAsyncDisposable
{
    private readonly ServerConfig[] _configs;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "kvstore-snapshot-tests", Guid.NewGuid().ToString("N"));

    /// <param name="catchUpEntries">Entries kept behind a snapshot; 0 (the tests' default) drops the log up to each one at once.</param>
    public SnapshotTestCluster(int size, long snapshotCount, long catchUpEntries = 0)
    {
        int[] ports = Enumerable.Range(0, size).Select(_ => Ports.Free()).ToArray();
        string initial = string.Join(",", ports.Select((p, i) => $"n{i + 1}=http://127.0.0.1:{p}"));
        _configs = ports.Select((p, i) => new ServerConfig
        {
            Name = $"n{i + 1}",
            DataDir = Path.Combine(_root, $"n{i + 1}"),
            ListenPeerUrls = [new($"http://127.0.0.1:{p}")],
            InitialAdvertisePeerUrls = [new($"http://127.0.0.1:{p}")],
            InitialCluster = initial,
            HeartbeatIntervalMs = 50,
            ElectionTimeoutMs = 1000, // generous: the machine is shared and slow (start waits 10x this for a leader)
            SnapshotCount = snapshotCount,
            SnapshotCatchUpEntries = catchUpEntries,
        }).ToArray();
        Members = new EtcdServer?[size];
        Loggers = _configs.Select(_ => new CapturingLoggers()).ToArray();
    }

    public EtcdServer?[] Members { get; }

    public CapturingLoggers[] Loggers { get; }

    public ServerConfig Config(int i) => _configs[i];

    public Task StartAllAsync() => Task.WhenAll(Enumerable.Range(0, _configs.Length).Select(StartAsync));

    public async Task StartAsync(int i)
    {
        Members[i] = await EtcdServer.StartAsync(_configs[i], Loggers[i], CancellationToken.None);
    }

    public async Task StopAsync(int i)
    {
        if (Members[i] is { } m) await m.DisposeAsync();
        Members[i] = null;
    }

    public int LeaderIndex()
    {
        for (int i = 0; i < Members.Length; i++)
        {
            if (Members[i] is { IsLeader: true }) return i;
        }
        return -1;
    }

    /// <summary>Proposes through whichever member leads now, retrying while there is none (elections on a slow machine).</summary>
    public async Task<ProposeResult> ProposeAsync(InternalRaftRequest request)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            int leader = LeaderIndex();
            if (leader >= 0)
            {
                ProposeResult r = await Members[leader]!.ProposeAsync(request.Clone(), CancellationToken.None);
                if (r.Error is not (ServerError.NotLeader or ServerError.NoLeader or ServerError.Timeout or ServerError.Stopped)) return r;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("no leader accepted the proposal");
            await Task.Delay(50);
        }
    }

    public static InternalRaftRequest Put(string key, string value) =>
        new() { Put = new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) } };

    public async ValueTask DisposeAsync()
    {
        for (int i = 0; i < Members.Length; i++) await StopAsync(i);
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
