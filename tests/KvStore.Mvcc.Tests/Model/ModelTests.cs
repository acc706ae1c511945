using Xunit.Abstractions;

namespace KvStore.Mvcc.Tests.Model;

/// <summary>
/// Randomized model test (issue 2): seeded sequences of 10,000 put / delete / txn / compact / range at a
/// revision / lease / watch ops run against the engine and against <see cref="ReferenceModel"/>, a plain
/// in-memory model of etcd 3.4's semantics; every response and every watch event must be equal. The engine is
/// closed and reopened mid-sequence (recovery from its checkpoint), and one seed runs with a FASTER log of a
/// few pages so most records are read back from disk.
/// </summary>
public sealed class ModelTests(ITestOutputHelper output)
{
    private const int Ops = 10_000;

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, false)]
    [InlineData(4, false)]
    [InlineData(5, false)]
    [InlineData(6, true)]
    public void RandomOpsMatchEtcdReferenceModel(int seed, bool tinyMemory)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var run = new ModelRun(seed, Ops, tinyMemory);
        run.Run();
        output.WriteLine($"seed {seed} (tiny memory: {tinyMemory}) in {watch.ElapsedMilliseconds} ms: " +
                         string.Join(", ", run.Counts.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} {kv.Value}")));
    }
}
