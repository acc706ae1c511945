using System.Buffers.Text;
using BenchmarkDotNet.Attributes;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;
using KvStore.Server.Apply;

namespace KvStore.Benchmarks;

/// <summary>
/// Single-threaded Put of a 256-byte value (etcd's `benchmark put`): to a new key each time (index insert +
/// new record) and to one of 10,000 existing keys (a new revision of a live key). The store keeps growing
/// over the run: FASTER spills the log beyond its 64 MB of memory to disk and background checkpoints
/// start every 64 MB written, as in a real member; both costs are in the numbers.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class PutBenchmarks
{
    private const int ExistingKeys = 10_000;
    private const int CounterDigits = 10;
    private static readonly byte[] NewKeyPrefix = "/bench/put/new/"u8.ToArray();

    private readonly byte[] _newKey = new byte[NewKeyPrefix.Length + CounterDigits];
    private string? _dir;
    private MvccStore _store = null!;
    private PutRequest[] _existing = [];
    private long _next;
    private int _cursor;

    [GlobalSetup]
    public void Setup()
    {
        _dir = BenchStore.NewDirectory("put");
        _store = MvccStore.Open(BenchStore.Options(_dir));
        ByteString[] keys = BenchStore.Keys("/bench/put/existing/", ExistingKeys);
        BenchStore.Load(_store, keys);
        _existing = [.. keys.Select(k => new PutRequest { Key = k, Value = BenchStore.Value })];
        NewKeyPrefix.CopyTo(_newKey, 0);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        BenchStore.Delete(_dir);
    }

    /// <summary>Put to a key never written before: "/bench/put/new/" + a 10-digit counter.</summary>
    [Benchmark]
    public long PutNewKey()
    {
        Utf8Formatter.TryFormat(_next++, _newKey.AsSpan(NewKeyPrefix.Length), out _, new System.Buffers.StandardFormat('D', CounterDigits));
        var request = new PutRequest { Key = ByteString.CopyFrom(_newKey), Value = BenchStore.Value };
        return KvApplier.Put(_store, request).Value.Header.Revision;
    }

    /// <summary>Put to one of 10,000 live keys, round-robin (a new version of the key each time).</summary>
    [Benchmark]
    public long PutExistingKey()
    {
        PutRequest request = _existing[_cursor];
        _cursor = (_cursor + 1) % ExistingKeys;
        return KvApplier.Put(_store, request).Value.Header.Revision;
    }
}
