using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Etcdserverpb;
using KvStore.Mvcc;
using KvStore.Server.Apply;

namespace KvStore.Benchmarks;

/// <summary>
/// Restart time: MvccStore.Open on a store of 1,000,000 keys (256-byte values, one revision each, about
/// 310 MB of log) checkpointed in the setup, then Dispose. Open recovers FASTER's checkpoint and rebuilds the
/// key index from every record; Dispose takes no checkpoint since nothing was written. FASTER is sized to
/// hold the whole log in memory (512 MB) with a 2^20-bucket (64 MB) hash index.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class RecoveryBenchmarks
{
    private const int KeyCount = 1_000_000;

    private string? _dir;
    private MvccOptions _options = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = BenchStore.NewDirectory("recovery");
        _options = BenchStore.Options(_dir, memorySizeBits: 29, indexBuckets: 1L << 20);
        using (MvccStore store = MvccStore.Open(_options))
        {
            for (int i = 0; i < KeyCount; i++)
            {
                var key = BenchStore.Key("/registry/pods/ns/" + i.ToString("D7", CultureInfo.InvariantCulture));
                _ = KvApplier.Put(store, new PutRequest { Key = key, Value = BenchStore.Value }).Value;
            }
            store.CheckpointAsync().GetAwaiter().GetResult();
        }
        if (Open() != KeyCount) throw new InvalidOperationException("recovered store lost keys");
    }

    [GlobalCleanup]
    public void Cleanup() => BenchStore.Delete(_dir);

    /// <summary>Open (recover checkpoint + rebuild index of 1M keys) and Dispose.</summary>
    [Benchmark]
    public int Open()
    {
        using MvccStore store = MvccStore.Open(_options);
        return store.IndexedKeyCount;
    }
}
