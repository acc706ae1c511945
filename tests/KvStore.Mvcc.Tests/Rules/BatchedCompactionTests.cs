using Etcdserverpb;
using KvStore.Server.Apply;
using static KvStore.Mvcc.Tests.Rules.RuleStore;

namespace KvStore.Mvcc.Tests.Rules;

/// <summary>
/// Compaction answers at once and removes the old revisions in batches afterwards (etcd's scheduleCompaction): reads
/// below the compact revision are refused while the batches run, and a store closed in the middle resumes at open.
/// One key per batch and a long pause between batches keep the compaction running for the whole test.
/// </summary>
public sealed class BatchedCompactionTests : IDisposable
{
    private const int Keys = 20;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private MvccOptions Slow(string name) => OptionsFor(Path.Combine(_dir.Path, name)) with
    {
        CompactionBatchLimit = 1,
        CompactionBatchInterval = TimeSpan.FromMilliseconds(500),
    };

    /// <summary>Every key written twice, then deleted every third: revisions 2..(2*Keys+1) plus the tombstones.</summary>
    private static void Fill(MvccStore store)
    {
        for (int round = 0; round < 2; round++)
        {
            for (int k = 0; k < Keys; k++) _ = KvApplier.Put(store, PutReq($"k{k:D2}", $"v{round}")).Value;
        }
        for (int k = 0; k < Keys; k += 3) _ = KvApplier.DeleteRange(store, DelReq($"k{k:D2}")).Value;
    }

    private static uint HashAt(MvccStore store, long rev) => store.HashKV(rev).Value.Hash;

    /// <summary>
    /// The warm-up that compiles the compaction methods before a compaction finds each of them by name: a method renamed
    /// (nameof keeps up), overloaded or made static makes it throw here, where in the member it would fail unseen.
    /// </summary>
    [Fact]
    public async Task TheCompactionCodeWarmUpFindsItsMethods_AndACompactionRunsAfterIt()
    {
        MvccStore.PrepareCompactionCode();
        using var store = MvccStore.Open(OptionsFor(Path.Combine(_dir.Path, "warm")));
        Fill(store);
        _ = store.Compact(Keys + 5).Value;
        await store.WaitForCompactionAsync();
        Assert.Equal(Keys + 5, store.CompactRevision);
    }

    [Fact]
    public async Task ReadsBelowTheCompactRevision_AreCompacted_WhileTheBatchesRun()
    {
        long at = Keys + 5;
        using MvccStore reference = MvccStore.Open(OptionsFor(Path.Combine(_dir.Path, "reference")));
        Fill(reference);
        _ = reference.Compact(at).Value;
        await reference.WaitForCompactionAsync();

        using MvccStore store = MvccStore.Open(Slow("store"));
        Fill(store);
        string before = Dump(store, at);

        _ = store.Compact(at).Value;

        Assert.False(store.WaitForCompactionAsync().IsCompleted); // dozens of batches, 500 ms apart
        Assert.Equal(MvccError.Compacted, store.Range(RangeReq("k00", null, at - 1)).Error);
        Assert.Equal(MvccError.Compacted, store.HashKV(at).Error);
        Assert.Equal(before, Dump(store, at));
        // etcd hashes what the compaction keeps, finished or not
        Assert.Equal(HashAt(reference, reference.CurrentRevision), HashAt(store, store.CurrentRevision));
        Assert.Equal(reference.Hash().Hash, store.Hash().Hash);
        _ = KvApplier.Put(store, PutReq("k01", "during")).Value; // writers run between batches

        store.Dispose(); // stops between batches
        Assert.True(store.WaitForCompactionAsync().IsCompleted);
    }

    [Fact]
    public async Task ACompactionStoppedInTheMiddle_ResumesAtOpen_AndEndsAsAnUninterruptedOne()
    {
        // etcd's restore: a scheduled compaction that did not finish is scheduled again.
        MvccOptions fast = OptionsFor(Path.Combine(_dir.Path, "reference"));
        using MvccStore reference = MvccStore.Open(fast);
        Fill(reference);
        long at = Keys + 5;
        _ = reference.Compact(at).Value;
        await reference.WaitForCompactionAsync();

        MvccOptions slow = Slow("interrupted");
        MvccStore store = MvccStore.Open(slow);
        Fill(store);
        _ = store.Compact(at, index: 1).Value;
        await Task.Delay(1200); // a few batches done, most not
        Assert.False(store.WaitForCompactionAsync().IsCompleted);
        await store.CheckpointAsync();
        store.Dispose();

        store = MvccStore.Open(slow with { CompactionBatchInterval = TimeSpan.Zero });
        try
        {
            Assert.Equal(at, store.CompactRevision);
            Assert.Equal(MvccError.Compacted, store.Range(RangeReq("k00", null, at - 1)).Error);
            await store.WaitForCompactionAsync();
            Assert.Equal(reference.IndexedKeyCount, store.IndexedKeyCount);
            Assert.Equal(HashAt(reference, reference.CurrentRevision), HashAt(store, store.CurrentRevision));
            Assert.Equal(Dump(reference, at), Dump(store, at));
            Assert.Equal(reference.Hash().Hash, store.Hash().Hash);
        }
        finally
        {
            store.Dispose();
        }
    }

    private static string Dump(MvccStore store, long rev)
    {
        RangeResponse r = store.Range(RangeReq("\0", "\0", rev)).Value;
        return string.Join("|", r.Kvs.Select(Text));
    }
}
