using BenchmarkDotNet.Attributes;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;
using KvStore.Mvcc.Watch;
using KvStore.Server.Apply;

namespace KvStore.Benchmarks;

/// <summary>What the 1,000 watchers watch.</summary>
public enum WatchTarget
{
    /// <summary>The one key that is put.</summary>
    Key,

    /// <summary>A prefix holding the key that is put (range watchers).</summary>
    Prefix,
}

/// <summary>
/// Watch fan-out (etcd's `benchmark watch-latency` shape): 1,000 synced watchers see every put of one key.
/// One operation = one Put of a 256-byte value plus draining all 1,000 watch responses it produced. The
/// watchers sit either on one stream (one client multiplexing them) or on 1,000 streams (1,000 clients).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class WatchBenchmarks
{
    private const int Watchers = 1_000;

    private string? _dir;
    private MvccStore _store = null!;
    private WatchStream[] _streams = [];
    private PutRequest _put = null!;

    [Params(WatchTarget.Key, WatchTarget.Prefix)]
    public WatchTarget Target { get; set; }

    [Params(1, Watchers)]
    public int Streams { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dir = BenchStore.NewDirectory("watch");
        _store = MvccStore.Open(BenchStore.Options(_dir));
        ByteString key = BenchStore.Key("/registry/pods/default/watched");
        _put = new PutRequest { Key = key, Value = BenchStore.Value };
        KvApplier.Put(_store, _put);

        ByteString watchKey = Target == WatchTarget.Key ? key : BenchStore.Key("/registry/pods/");
        ByteString rangeEnd = Target == WatchTarget.Key ? ByteString.Empty : BenchStore.PrefixEnd(watchKey);
        // Room for every response one put produces, so no watcher ever falls out of the synced group.
        int capacity = Math.Max(128, 2 * Watchers / Streams);
        _streams = new WatchStream[Streams];
        for (int s = 0; s < Streams; s++) _streams[s] = _store.NewWatchStream(capacity);
        for (int w = 0; w < Watchers; w++)
        {
            _ = _streams[w % Streams].Watch(watchKey.Span, rangeEnd.Span, startRevision: 0).Value;
        }
        if (_store.SyncedWatcherCount != Watchers) throw new InvalidOperationException("watchers not synced");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        // Every put must have reached the watchers through the synced path, not through catch-up.
        int synced = _store.SyncedWatcherCount;
        foreach (WatchStream s in _streams) s.Dispose();
        _store.Dispose();
        BenchStore.Delete(_dir);
        if (synced != Watchers) throw new InvalidOperationException($"{Watchers - synced} watchers fell out of the synced group");
    }

    /// <summary>One put, then every stream drained: 1,000 responses of one event each.</summary>
    [Benchmark]
    public int PutAndDrain()
    {
        _ = KvApplier.Put(_store, _put).Value;
        int events = 0;
        foreach (WatchStream s in _streams)
        {
            while (s.TryRead(out WatchResponse resp)) events += resp.Events.Count;
        }
        if (events != Watchers) throw new InvalidOperationException($"{events} events delivered, expected {Watchers}");
        return events;
    }
}
