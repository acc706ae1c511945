using BenchmarkDotNet.Attributes;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;

namespace KvStore.Benchmarks;

/// <summary>
/// Reads at the current revision (etcd's `benchmark range`, serializable): one key, and every key of one
/// prefix when the store holds 10 prefixes of 1,000 keys each (256-byte values). Everything is in FASTER's
/// memory (about 3 MB of log).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class RangeBenchmarks
{
    private const int Prefixes = 10;
    private const int KeysPerPrefix = 1_000;
    private static readonly string[] Resources =
        ["configmaps", "deployments", "endpoints", "events", "leases", "nodes", "pods", "replicasets", "secrets", "services"];

    private string? _dir;
    private MvccStore _store = null!;
    private RangeRequest _pointRead = null!;
    private RangeRequest _prefixRead = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = BenchStore.NewDirectory("range");
        _store = MvccStore.Open(BenchStore.Options(_dir));
        for (int p = 0; p < Prefixes; p++)
        {
            BenchStore.Load(_store, BenchStore.Keys($"/registry/{Resources[p]}/default/", KeysPerPrefix));
        }

        _pointRead = new RangeRequest { Key = BenchStore.Key("/registry/pods/default/000500") };
        ByteString prefix = BenchStore.Key("/registry/pods/");
        _prefixRead = new RangeRequest { Key = prefix, RangeEnd = BenchStore.PrefixEnd(prefix) };

        // The benchmarks must read what they claim to read.
        if (_store.Range(_pointRead).Value.Kvs.Count != 1) throw new InvalidOperationException("point read found no key");
        if (_store.Range(_prefixRead).Value.Kvs.Count != KeysPerPrefix) throw new InvalidOperationException("prefix read count wrong");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        BenchStore.Delete(_dir);
    }

    /// <summary>Range of a single key (a Get).</summary>
    [Benchmark]
    public int PointRead() => _store.Range(_pointRead).Value.Kvs.Count;

    /// <summary>Range over a prefix holding 1,000 keys (a Get --prefix / a list).</summary>
    [Benchmark]
    public int PrefixRange1000() => _store.Range(_prefixRead).Value.Kvs.Count;
}
