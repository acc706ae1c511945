using BenchmarkDotNet.Attributes;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;
using KvStore.Server.Apply;

namespace KvStore.Benchmarks;

/// <summary>
/// Optimistic update as the Kubernetes apiserver does it (etcd's `benchmark txn-put` shape): a txn comparing
/// MOD(key) == the mod revision the client last saw, putting a 256-byte value on success. Round-robin over
/// 1,000 keys; the compare always holds. A compare that fails (stale revision, no write) is measured too.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class TxnBenchmarks
{
    private const int KeyCount = 1_000;

    private string? _dir;
    private MvccStore _store = null!;
    private ByteString[] _keys = [];
    private long[] _modRevisions = [];
    private int _cursor;

    [GlobalSetup]
    public void Setup()
    {
        _dir = BenchStore.NewDirectory("txn");
        _store = MvccStore.Open(BenchStore.Options(_dir));
        _keys = BenchStore.Keys("/registry/pods/default/", KeyCount);
        _modRevisions = new long[KeyCount];
        for (int i = 0; i < KeyCount; i++)
        {
            _modRevisions[i] = KvApplier.Put(_store, new PutRequest { Key = _keys[i], Value = BenchStore.Value }).Value.Header.Revision;
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        BenchStore.Delete(_dir);
    }

    private static TxnRequest CompareAndPut(ByteString key, long modRevision) => new()
    {
        Compare =
        {
            new Compare
            {
                Key = key,
                Target = Compare.Types.CompareTarget.Mod,
                Result = Compare.Types.CompareResult.Equal,
                ModRevision = modRevision,
            },
        },
        Success = { new RequestOp { RequestPut = new PutRequest { Key = key, Value = BenchStore.Value } } },
    };

    /// <summary>Compare MOD == current mod revision (true), then put.</summary>
    [Benchmark]
    public long CompareAndPutSucceeds()
    {
        int i = _cursor;
        _cursor = (_cursor + 1) % KeyCount;
        TxnResponse resp = TxnApplier.Txn(_store, CompareAndPut(_keys[i], _modRevisions[i])).Value;
        if (!resp.Succeeded) throw new InvalidOperationException("compare should have held");
        return _modRevisions[i] = resp.Header.Revision;
    }

    /// <summary>Compare MOD == a stale revision (false): no write, empty failure branch (a conflict).</summary>
    [Benchmark]
    public long CompareAndPutConflict()
    {
        int i = _cursor;
        _cursor = (_cursor + 1) % KeyCount;
        TxnResponse resp = TxnApplier.Txn(_store, CompareAndPut(_keys[i], _modRevisions[i] - 1)).Value;
        if (resp.Succeeded) throw new InvalidOperationException("compare should have failed");
        return resp.Header.Revision;
    }
}
