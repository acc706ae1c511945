using Xunit.Abstractions;

namespace KvStore.Mvcc.Tests.Model;

/// <summary>
/// Randomized model test (issue 2): seeded sequences of 10,000 put / delete / txn / compact / range at a
/// revision / lease / watch ops run against the engine and against <see cref="ReferenceModel"/>, a plain
/// in-memory model of etcd 3.4's semantics; every response and every watch event must be equal. The engine is
/// closed and reopened mid-sequence (recovery from its checkpoint) and replaced by a snapshot import; two seeds
/// run with a FASTER log of a few pages so most records are read back from disk, and three with background
/// checkpoints and FASTER log compaction every few hundred KiB.
/// </summary>
public sealed class ModelTests(ITestOutputHelper output)
{
    private const int Ops = 10_000;

    [Theory]
    [InlineData(1, false, false)]
    [InlineData(2, false, false)]
    [InlineData(3, false, false)]
    [InlineData(4, false, true)]
    [InlineData(5, false, true)]
    [InlineData(6, true, false)]
    [InlineData(7, true, true)]
    public void RandomOpsMatchEtcdReferenceModel(int seed, bool tinyMemory, bool smallThresholds)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var run = new ModelRun(seed, Ops, tinyMemory, smallThresholds);
        run.Run();
        output.WriteLine($"seed {seed} (tiny memory: {tinyMemory}, small thresholds: {smallThresholds}) in {watch.ElapsedMilliseconds} ms: " +
                         string.Join(", ", run.Counts.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} {kv.Value}")));
    }
}
