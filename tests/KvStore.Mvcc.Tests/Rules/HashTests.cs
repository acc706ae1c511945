using KvStore.Server.Apply;
using static KvStore.Mvcc.Tests.Rules.RuleStore;

namespace KvStore.Mvcc.Tests.Rules;

/// <summary>etcd Hash / HashKV rules (mvcc/kvstore.go HashByRev): members with equal history have equal hashes.</summary>
public sealed class HashTests : IDisposable
{
    private readonly RuleStore _a = new();
    private readonly RuleStore _b = new();

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    private static void Same(RuleStore s)
    {
        s.Grant(1, 60);
        s.Put("a", "1");
        s.Put("b", "2", lease: 1);
        s.Put("a", "3");
        s.Delete("b");
        _ = TxnApplier.Txn(s.Store, Txn(success: [OpPut("c", "1"), OpPut("d", "1")])).Value;
    }

    private uint HashKV(RuleStore s, long rev = 0) => s.Store.HashKV(rev).Value.Hash;

    [Fact]
    public void SameOperations_GiveEqualHashes()
    {
        // etcd HashByRev: a CRC over the kv history; equal histories hash equal (the corruption check relies on it).
        Same(_a);
        Same(_b);
        Assert.Equal(HashKV(_a), HashKV(_b));
        Assert.Equal(_a.Store.Hash().Hash, _b.Store.Hash().Hash);
        for (long rev = 1; rev <= _a.Rev; rev++) Assert.Equal(HashKV(_a, rev), HashKV(_b, rev));
    }

    [Theory]
    [InlineData("value")]
    [InlineData("key")]
    [InlineData("extra")]
    [InlineData("delete")]
    public void DifferingWrite_GivesDifferentHashKV(string how)
    {
        // etcd HashByRev: a different write changes the hash; the hash at an older revision ignores later writes.
        Same(_a);
        Same(_b);
        long common = _a.Rev;
        switch (how)
        {
            case "value": _a.Put("e", "1"); _b.Put("e", "2"); break;
            case "key": _a.Put("e", "1"); _b.Put("f", "1"); break;
            case "extra": _a.Put("e", "1"); break;
            case "delete": _a.Delete("a"); _b.Delete("c"); break;
        }
        Assert.NotEqual(HashKV(_a), HashKV(_b));
        // HashKV at the last common revision ignores the later writes
        Assert.Equal(HashKV(_a, common), HashKV(_b, common));
    }

    [Fact]
    public void HashKV_ChangesWithEveryWrite()
    {
        // etcd HashByRev: every revision is hashed, even a put of the same value.
        Same(_a);
        uint before = HashKV(_a);
        _a.Put("a", "3"); // same value again: still a new revision
        Assert.NotEqual(before, HashKV(_a));
        Assert.Equal(before, HashKV(_a, _a.Rev - 1));
    }

    [Fact]
    public void Hash_IncludesLeases()
    {
        // etcd Hash (whole backend) covers the lease bucket; HashKV covers only the key bucket.
        Same(_a);
        Same(_b);
        _b.Grant(99, 60);
        Assert.Equal(HashKV(_a), HashKV(_b));
        Assert.NotEqual(_a.Store.Hash().Hash, _b.Store.Hash().Hash);
    }

    [Fact]
    public void HashKV_AtOrBelowCompactRevision_IsCompacted_AboveIsEqualOnBothMembers()
    {
        // etcd 3.4 HashByRev: rev > 0 && rev <= compactMainRev -> ErrCompacted (checked on etcd 3.4.23: hashkv at
        // the compact revision fails); rev > currentRev -> ErrFutureRev. Members compacted alike hash alike.
        Same(_a);
        Same(_b);
        _ = _a.Store.Compact(4).Value;
        _ = _b.Store.Compact(4).Value;
        Assert.Equal(MvccError.Compacted, _a.Store.HashKV(3).Error);
        Assert.Equal(MvccError.Compacted, _a.Store.HashKV(4).Error);
        Assert.Equal(MvccError.FutureRevision, _a.Store.HashKV(_a.Rev + 1).Error);
        Assert.Equal(HashKV(_a, 5), HashKV(_b, 5));
        Assert.Equal(HashKV(_a), HashKV(_b));
        Assert.Equal(4, _a.Store.HashKV(0).Value.CompactRevision);
    }

    [Fact]
    public void HashKV_Zero_IsCurrent_EvenWhenCompactedAtCurrent()
    {
        // etcd: rev 0 means the current revision and is never ErrCompacted.
        Same(_a);
        Assert.Equal(HashKV(_a, _a.Rev), HashKV(_a, 0));
        _ = _a.Store.Compact(_a.Rev).Value;
        Assert.True(_a.Store.HashKV(0).Ok);
    }
}
