using Etcdserverpb;
using Google.Protobuf;
using static KvStore.Mvcc.Tests.Rules.RuleStore;
using SortOrder = Etcdserverpb.RangeRequest.Types.SortOrder;
using SortTarget = Etcdserverpb.RangeRequest.Types.SortTarget;

namespace KvStore.Mvcc.Tests.Rules;

/// <summary>
/// etcd Range rules (etcdserver/apply.go applierV3backend.Range, mvcc/kvstore_txn.go rangeKeys), checked
/// against etcd 3.4.23 through its JSON gateway where noted.
/// </summary>
public sealed class RangeTests : IDisposable
{
    private readonly RuleStore _s = new();

    // Final state after Seed (every sort target orders the four keys differently, no ties):
    //   a: create 3, mod 11, version 2, value v3
    //   b: create 5, mod  8, version 4, value v1
    //   c: create 2, mod 10, version 3, value v4
    //   d: create 4, mod  4, version 1, value v2
    // plus "zz" (create 12), "foo/1", "foo/2", "fop" outside [a, e).
    public RangeTests()
    {
        _s.Put("c", "old"); // 2
        _s.Put("a", "old"); // 3
        _s.Put("d", "v2"); // 4
        _s.Put("b", "old"); // 5
        _s.Put("b", "old"); // 6
        _s.Put("b", "old"); // 7
        _s.Put("b", "v1"); // 8
        _s.Put("c", "old"); // 9
        _s.Put("c", "v4"); // 10
        _s.Put("a", "v3"); // 11
        _s.Put("zz", "1"); // 12
        _s.Put("foo/1", "1"); // 13
        _s.Put("foo/2", "1"); // 14
        _s.Put("fop", "1"); // 15
    }

    public void Dispose() => _s.Dispose();

    private RangeResponse Range(RangeRequest r) => _s.Store.Range(r).Value;

    private static RangeRequest AtoE() => RangeReq("a", "e");

    [Fact]
    public void SingleKey()
    {
        // etcd: empty range_end reads exactly one key.
        RangeResponse r = _s.Get("b");
        Assert.Equal("b", Keys(r));
        Assert.Equal(1, r.Count);
        Assert.Equal("b=v1 c5 m8 v4 l0", Text(r.Kvs[0]));
        Assert.Empty(_s.Get("bb").Kvs);
        Assert.Equal(0, _s.Get("bb").Count);
    }

    [Fact]
    public void RangeEnd_Prefix()
    {
        // etcd clientv3.WithPrefix: range_end = prefix with its last byte + 1 ("foo/" -> "foo0").
        Assert.Equal("foo/1,foo/2", Keys(_s.Get("foo/", "foo0")));
    }

    [Fact]
    public void RangeEnd_Zero_MeansEveryKeyFromKey()
    {
        // etcd mkGteRange: range_end "\0" means every key >= key.
        Assert.Equal("d,foo/1,foo/2,fop,zz", Keys(_s.Get("d", "\0")));
        Assert.Equal("a,b,c,d,foo/1,foo/2,fop,zz", Keys(_s.Get("\0", "\0")));
    }

    [Theory]
    [InlineData(1, "a", true)]
    [InlineData(2, "a,b", true)]
    [InlineData(3, "a,b,c", true)]
    [InlineData(4, "a,b,c,d", false)]
    [InlineData(5, "a,b,c,d", false)]
    [InlineData(0, "a,b,c,d", false)]
    public void Limit_SetsMore_AndCountIsEveryKeyInRange(long limit, string keys, bool more)
    {
        // etcd: at most `limit` kvs; more = there were more; count = number of keys in the whole range.
        RangeRequest req = AtoE();
        req.Limit = limit;
        RangeResponse r = Range(req);
        Assert.Equal(keys, Keys(r));
        Assert.Equal(more, r.More);
        Assert.Equal(4, r.Count);
    }

    [Theory]
    [InlineData(2, "c=old c2 m2 v1 l0")]
    [InlineData(6, "a=old c3 m3 v1 l0|b=old c5 m6 v2 l0|c=old c2 m2 v1 l0|d=v2 c4 m4 v1 l0")]
    [InlineData(9, "a=old c3 m3 v1 l0|b=v1 c5 m8 v4 l0|c=old c2 m9 v2 l0|d=v2 c4 m4 v1 l0")]
    [InlineData(11, "a=v3 c3 m11 v2 l0|b=v1 c5 m8 v4 l0|c=v4 c2 m10 v3 l0|d=v2 c4 m4 v1 l0")]
    public void HistoricalRevision_SeesKeysAsTheyWere_HeaderIsCurrent(long rev, string expected)
    {
        // etcd: a read at a past revision returns the kvs as of that revision; the header carries the
        // current revision, not the requested one.
        RangeRequest req = AtoE();
        req.Revision = rev;
        RangeResponse r = Range(req);
        Assert.Equal(expected, string.Join("|", r.Kvs.Select(Text)));
        Assert.Equal(15, r.Header.Revision);
    }

    [Fact]
    public void Revision_BelowCompaction_IsCompacted()
    {
        // etcd: rev < compactMainRev -> ErrCompacted; rev == compactMainRev still reads.
        _ = _s.Store.Compact(9).Value;
        RangeRequest req = AtoE();
        req.Revision = 8;
        Assert.Equal(MvccError.Compacted, _s.Store.Range(req).Error);
        req.Revision = 9;
        Assert.Equal(4, _s.Store.Range(req).Value.Count);
    }

    [Fact]
    public void Revision_BeyondCurrent_IsFutureRevision()
    {
        // etcd: rev > currentRev -> ErrFutureRev.
        RangeRequest req = AtoE();
        req.Revision = 16;
        Assert.Equal(MvccError.FutureRevision, _s.Store.Range(req).Error);
    }

    [Theory]
    [InlineData(SortTarget.Key, SortOrder.None, "a,b,c,d")]
    [InlineData(SortTarget.Key, SortOrder.Ascend, "a,b,c,d")]
    [InlineData(SortTarget.Key, SortOrder.Descend, "d,c,b,a")]
    [InlineData(SortTarget.Version, SortOrder.Ascend, "d,a,c,b")]
    [InlineData(SortTarget.Version, SortOrder.Descend, "b,c,a,d")]
    [InlineData(SortTarget.Create, SortOrder.Ascend, "c,a,d,b")]
    [InlineData(SortTarget.Create, SortOrder.Descend, "b,d,a,c")]
    [InlineData(SortTarget.Mod, SortOrder.Ascend, "d,b,c,a")]
    [InlineData(SortTarget.Mod, SortOrder.Descend, "a,c,b,d")]
    [InlineData(SortTarget.Value, SortOrder.Ascend, "b,d,a,c")]
    [InlineData(SortTarget.Value, SortOrder.Descend, "c,a,d,b")]
    // etcd: a sort target other than KEY with order NONE sorts ascending.
    [InlineData(SortTarget.Version, SortOrder.None, "d,a,c,b")]
    [InlineData(SortTarget.Create, SortOrder.None, "c,a,d,b")]
    [InlineData(SortTarget.Mod, SortOrder.None, "d,b,c,a")]
    [InlineData(SortTarget.Value, SortOrder.None, "b,d,a,c")]
    public void Sort_ByTargetAndOrder(SortTarget target, SortOrder order, string keys)
    {
        RangeRequest req = AtoE();
        req.SortTarget = target;
        req.SortOrder = order;
        Assert.Equal(keys, Keys(Range(req)));
    }

    [Fact]
    public void Sort_ThenLimit_TakesTheFirstOfTheSortedKeys()
    {
        // etcd: with a sort order the whole range is fetched, sorted, then truncated to limit (more = true).
        RangeRequest req = AtoE();
        req.SortTarget = SortTarget.Mod;
        req.SortOrder = SortOrder.Descend;
        req.Limit = 2;
        RangeResponse r = Range(req);
        Assert.Equal("a,c", Keys(r));
        Assert.True(r.More);
        Assert.Equal(4, r.Count);
    }

    [Fact]
    public void KeysOnly_DropsValuesButKeepsRevisions()
    {
        // etcd: keys_only clears the value, every other field stays.
        RangeRequest req = AtoE();
        req.KeysOnly = true;
        RangeResponse r = Range(req);
        Assert.Equal("a= c3 m11 v2 l0|b= c5 m8 v4 l0|c= c2 m10 v3 l0|d= c4 m4 v1 l0", string.Join("|", r.Kvs.Select(Text)));
    }

    [Fact]
    public void CountOnly_ReturnsCountWithoutKvs()
    {
        // etcd: count_only returns no kvs, only count (and no `more`, even with a limit; checked on etcd 3.4.23).
        RangeRequest req = AtoE();
        req.CountOnly = true;
        req.Limit = 1;
        RangeResponse r = Range(req);
        Assert.Empty(r.Kvs);
        Assert.Equal(4, r.Count);
        Assert.False(r.More);
    }

    public static TheoryData<string, long, string> Filters => new()
    {
        { "MinMod", 8, "a,b,c" },
        { "MaxMod", 8, "b,d" },
        { "MinCreate", 4, "b,d" },
        { "MaxCreate", 3, "a,c" },
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public void MinMaxModAndCreateFilters_DropKvs_ButNotCount(string filter, long value, string keys)
    {
        // etcd apply.go pruneKVs: the filters drop kvs after the fetch; count is NOT reduced (checked on 3.4.23).
        RangeRequest req = AtoE();
        switch (filter)
        {
            case "MinMod": req.MinModRevision = value; break;
            case "MaxMod": req.MaxModRevision = value; break;
            case "MinCreate": req.MinCreateRevision = value; break;
            case "MaxCreate": req.MaxCreateRevision = value; break;
        }
        RangeResponse r = Range(req);
        Assert.Equal(keys, Keys(r));
        Assert.Equal(4, r.Count);
    }

    [Fact]
    public void Filter_WithLimit_LimitAppliesAfterTheFilter()
    {
        // etcd: with a min/max filter the limit is applied after pruning (etcd 3.4.23: min_create 3, limit 1 over
        // three keys gave the second key and more = true).
        RangeRequest req = AtoE();
        req.MinCreateRevision = 4;
        req.Limit = 1;
        RangeResponse r = Range(req);
        Assert.Equal("b", Keys(r));
        Assert.True(r.More);
        Assert.Equal(4, r.Count);
    }

    [Fact]
    public void RangeEnd_BeforeKey_IsEmpty()
    {
        // etcd: a range whose end is not after its key holds no keys.
        RangeResponse r = _s.Get("c", "b");
        Assert.Empty(r.Kvs);
        Assert.Equal(0, r.Count);
        Assert.Equal(0, _s.Delete("c", "b").Deleted);
        Assert.Equal(15, _s.Rev);
    }

    [Fact]
    public void HeaderRevision_IsCurrent()
    {
        // etcd rangeKeys: RangeResult.Rev = currentRev.
        Assert.Equal(15, _s.Get("a").Header.Revision);
        Assert.Equal(15, _s.Get("nothing").Header.Revision);
    }

    [Fact]
    public void EmptyKey_IsEmptyKeyError()
    {
        // etcd v3rpc checkRangeRequest: an empty key is ErrGRPCEmptyKey.
        Assert.Equal(MvccError.EmptyKey, _s.Store.Range(new RangeRequest { Key = ByteString.Empty }).Error);
    }
}
