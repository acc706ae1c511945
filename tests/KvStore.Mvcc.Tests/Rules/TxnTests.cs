using Etcdserverpb;
using Google.Protobuf;
using KvStore.Server.Apply;
using static KvStore.Mvcc.Tests.Rules.RuleStore;
using Result = Etcdserverpb.Compare.Types.CompareResult;
using Target = Etcdserverpb.Compare.Types.CompareTarget;

namespace KvStore.Mvcc.Tests.Rules;

/// <summary>
/// etcd Txn rules (etcdserver/apply.go Txn, applyCompare, compareKV, applyTxn; api/v3rpc/key.go
/// checkTxnRequest and checkIntervals).
/// </summary>
public sealed class TxnTests : IDisposable
{
    private readonly RuleStore _s = new(maxTxnOps: 3);

    // k: create 3, mod 4, version 2, value "v2", lease 7; r/a, r/b (version 1), r/c (version 2).
    public TxnTests()
    {
        _s.Grant(7, 60);
        _s.Put("other", "x"); // 2
        _s.Put("k", "v1"); // 3
        _s.Put("k", "v2", lease: 7); // 4
        _s.Put("r/a", "1"); // 5
        _s.Put("r/b", "1"); // 6
        _s.Put("r/c", "1"); // 7
        _s.Put("r/c", "2"); // 8
    }

    public void Dispose() => _s.Dispose();

    public static Compare Cmp(string key, Target target, Result result, string operand, string? end = null)
    {
        var c = new Compare { Key = B(key), Target = target, Result = result };
        if (end is not null) c.RangeEnd = B(end);
        switch (target)
        {
            case Target.Value: c.Value = B(operand); break;
            case Target.Version: c.Version = long.Parse(operand); break;
            case Target.Create: c.CreateRevision = long.Parse(operand); break;
            case Target.Mod: c.ModRevision = long.Parse(operand); break;
            case Target.Lease: c.Lease = long.Parse(operand); break;
        }
        return c;
    }

    private bool Holds(Compare c)
    {
        TxnResponse r = TxnApplier.Txn(_s.Store, Txn([c])).Value;
        return r.Succeeded;
    }

    [Theory]
    [InlineData(Target.Version, Result.Equal, "2", true)]
    [InlineData(Target.Version, Result.Equal, "1", false)]
    [InlineData(Target.Version, Result.Greater, "1", true)]
    [InlineData(Target.Version, Result.Greater, "2", false)]
    [InlineData(Target.Version, Result.Less, "3", true)]
    [InlineData(Target.Version, Result.Less, "2", false)]
    [InlineData(Target.Version, Result.NotEqual, "1", true)]
    [InlineData(Target.Version, Result.NotEqual, "2", false)]
    [InlineData(Target.Create, Result.Equal, "3", true)]
    [InlineData(Target.Create, Result.Equal, "4", false)]
    [InlineData(Target.Create, Result.Greater, "2", true)]
    [InlineData(Target.Create, Result.Greater, "3", false)]
    [InlineData(Target.Create, Result.Less, "4", true)]
    [InlineData(Target.Create, Result.Less, "3", false)]
    [InlineData(Target.Create, Result.NotEqual, "0", true)]
    [InlineData(Target.Create, Result.NotEqual, "3", false)]
    [InlineData(Target.Mod, Result.Equal, "4", true)]
    [InlineData(Target.Mod, Result.Equal, "3", false)]
    [InlineData(Target.Mod, Result.Greater, "3", true)]
    [InlineData(Target.Mod, Result.Greater, "4", false)]
    [InlineData(Target.Mod, Result.Less, "5", true)]
    [InlineData(Target.Mod, Result.Less, "4", false)]
    [InlineData(Target.Mod, Result.NotEqual, "3", true)]
    [InlineData(Target.Mod, Result.NotEqual, "4", false)]
    [InlineData(Target.Value, Result.Equal, "v2", true)]
    [InlineData(Target.Value, Result.Equal, "v1", false)]
    [InlineData(Target.Value, Result.Greater, "v1", true)]
    [InlineData(Target.Value, Result.Greater, "v", true)] // bytes.Compare: a longer value with the same prefix is greater
    [InlineData(Target.Value, Result.Greater, "v2", false)]
    [InlineData(Target.Value, Result.Less, "v3", true)]
    [InlineData(Target.Value, Result.Less, "v2", false)]
    [InlineData(Target.Value, Result.NotEqual, "x", true)]
    [InlineData(Target.Value, Result.NotEqual, "v2", false)]
    [InlineData(Target.Lease, Result.Equal, "7", true)]
    [InlineData(Target.Lease, Result.Equal, "0", false)]
    [InlineData(Target.Lease, Result.Greater, "6", true)]
    [InlineData(Target.Lease, Result.Greater, "7", false)]
    [InlineData(Target.Lease, Result.Less, "8", true)]
    [InlineData(Target.Lease, Result.Less, "7", false)]
    [InlineData(Target.Lease, Result.NotEqual, "0", true)]
    [InlineData(Target.Lease, Result.NotEqual, "7", false)]
    public void Compare_OnExistingKey(Target target, Result result, string operand, bool holds)
    {
        // etcd compareKV: compares the key's field with the operand (bytes.Compare for VALUE).
        Assert.Equal(holds, Holds(Cmp("k", target, result, operand)));
    }

    [Theory]
    [InlineData(Target.Value, Result.Equal, "", false)] // etcd: VALUE on a missing key always fails
    [InlineData(Target.Value, Result.NotEqual, "x", false)]
    [InlineData(Target.Value, Result.Less, "zzz", false)]
    [InlineData(Target.Version, Result.Equal, "0", true)] // the others compare against a zero KeyValue
    [InlineData(Target.Version, Result.Greater, "0", false)]
    [InlineData(Target.Version, Result.Less, "1", true)]
    [InlineData(Target.Create, Result.Equal, "0", true)]
    [InlineData(Target.Create, Result.NotEqual, "0", false)]
    [InlineData(Target.Mod, Result.Equal, "0", true)]
    [InlineData(Target.Mod, Result.Less, "1", true)]
    [InlineData(Target.Lease, Result.Equal, "0", true)]
    public void Compare_OnMissingKey(Target target, Result result, string operand, bool holds)
    {
        // etcd applyCompare: no kvs -> VALUE fails, other targets compare against mvccpb.KeyValue{}.
        Assert.Equal(holds, Holds(Cmp("missing", target, result, operand)));
    }

    [Fact]
    public void Compare_OnDeletedKey_IsLikeMissing()
    {
        // etcd applyCompare: a deleted key has no kvs at the current revision.
        _s.Delete("other");
        Assert.True(Holds(Cmp("other", Target.Version, Result.Equal, "0")));
        Assert.False(Holds(Cmp("other", Target.Value, Result.Equal, "x")));
    }

    [Theory]
    [InlineData(Target.Version, Result.Equal, "1", false)] // r/c has version 2
    [InlineData(Target.Version, Result.Greater, "0", true)]
    [InlineData(Target.Version, Result.Less, "3", true)]
    [InlineData(Target.Version, Result.NotEqual, "2", false)]
    [InlineData(Target.Create, Result.Greater, "4", true)]
    [InlineData(Target.Create, Result.Greater, "5", false)] // r/a has create 5
    [InlineData(Target.Mod, Result.Less, "8", false)] // r/c has mod 8
    [InlineData(Target.Value, Result.Greater, "0", true)]
    [InlineData(Target.Value, Result.Equal, "1", false)]
    public void Compare_OverARange_AllKeysMustSatisfy(Target target, Result result, string operand, bool holds)
    {
        // etcd applyCompare with range_end: the compare holds only if it holds for every key in the range.
        Assert.Equal(holds, Holds(Cmp("r/", target, result, operand, end: "r0")));
    }

    [Fact]
    public void Compare_OverAnEmptyRange_IsLikeAMissingKey()
    {
        // etcd applyCompare: no kvs in the range -> VALUE fails, others compare against a zero KeyValue.
        Assert.True(Holds(Cmp("s/", Target.Version, Result.Equal, "0", end: "s0")));
        Assert.True(Holds(Cmp("s/", Target.Mod, Result.Equal, "0", end: "s0")));
        Assert.False(Holds(Cmp("s/", Target.Value, Result.Equal, "", end: "s0")));
    }

    [Fact]
    public void Compare_OverRangeFromKey_UsesZeroRangeEnd()
    {
        // etcd mkGteRange in applyCompare: range_end "\0" means every key >= key.
        // "other" (version 1) and "r/c" (version 2) are both in [k, ...).
        Assert.False(Holds(Cmp("k", Target.Version, Result.Equal, "1", end: "\0")));
        Assert.True(Holds(Cmp("r/b", Target.Mod, Result.Greater, "5", end: "\0")));
    }

    [Fact]
    public void AllComparesMustHold()
    {
        // etcd applyCompares: the compares are ANDed.
        Assert.True(TxnApplier.Txn(_s.Store, Txn([Cmp("k", Target.Version, Result.Equal, "2"), Cmp("other", Target.Value, Result.Equal, "x")])).Value.Succeeded);
        Assert.False(TxnApplier.Txn(_s.Store, Txn([Cmp("k", Target.Version, Result.Equal, "2"), Cmp("other", Target.Value, Result.Equal, "y")])).Value.Succeeded);
    }

    [Fact]
    public void SuccessAndFailureLists_RunTheChosenBranch()
    {
        // etcd: success ops when every compare holds, failure ops otherwise; one response per op.
        TxnResponse ok = TxnApplier.Txn(_s.Store, Txn([Cmp("k", Target.Value, Result.Equal, "v2")],
            [OpPut("s", "1"), OpGet("k")], [OpPut("f", "1")])).Value;
        Assert.True(ok.Succeeded);
        Assert.Equal(2, ok.Responses.Count);
        Assert.Equal(ResponseOp.ResponseOneofCase.ResponsePut, ok.Responses[0].ResponseCase);
        Assert.Equal("k", Keys(ok.Responses[1].ResponseRange));
        Assert.NotNull(_s.One("s"));
        Assert.Null(_s.One("f"));

        TxnResponse fail = TxnApplier.Txn(_s.Store, Txn([Cmp("k", Target.Value, Result.Equal, "nope")],
            [OpPut("s2", "1")], [OpPut("f", "1"), OpDel("s")])).Value;
        Assert.False(fail.Succeeded);
        Assert.Equal(1, fail.Responses[1].ResponseDeleteRange.Deleted);
        Assert.Null(_s.One("s2"));
        Assert.NotNull(_s.One("f"));
        Assert.Null(_s.One("s"));
    }

    [Fact]
    public void NestedTxn_RunsItsOwnBranch_AtTheSameRevision()
    {
        // etcd applyTxn: a RequestTxn op runs its own success/failure branch inside the outer txn.
        TxnRequest inner = Txn([Cmp("k", Target.Version, Result.Equal, "99")], [OpPut("in-then", "1")], [OpPut("in-else", "1")]);
        TxnResponse r = TxnApplier.Txn(_s.Store, Txn(success: [OpPut("outer", "1"), OpTxn(inner)])).Value;
        Assert.True(r.Succeeded);
        Assert.False(r.Responses[1].ResponseTxn.Succeeded);
        Assert.Equal(ResponseOp.ResponseOneofCase.ResponsePut, r.Responses[1].ResponseTxn.Responses[0].ResponseCase);
        Assert.Null(_s.One("in-then"));
        Assert.Equal(9, _s.One("in-else")!.ModRevision);
        Assert.Equal(9, _s.One("outer")!.ModRevision);
        Assert.Equal(9, _s.Rev);
    }

    [Fact]
    public void NestedCompares_AreEvaluatedBeforeAnyOpRuns()
    {
        // etcd compareToPath: every compare on the chosen path is evaluated against the state before the txn,
        // so a nested compare does not see the outer txn's own earlier put.
        TxnRequest inner = Txn([Cmp("fresh", Target.Version, Result.Equal, "1")], [OpPut("saw-put", "1")], [OpPut("saw-old", "1")]);
        _ = TxnApplier.Txn(_s.Store, Txn(success: [OpPut("fresh", "1"), OpTxn(inner)])).Value;
        Assert.Null(_s.One("saw-put"));
        Assert.NotNull(_s.One("saw-old"));
    }

    [Fact]
    public void WholeTxn_IsOneRevision()
    {
        // etcd: every change of one txn shares one main revision; header revision = that revision.
        TxnResponse r = TxnApplier.Txn(_s.Store, Txn(success: [OpPut("x", "1"), OpDel("other"), OpPut("y", "1")])).Value;
        Assert.Equal(9, r.Header.Revision);
        Assert.Equal(9, _s.Rev);
        Assert.Equal(9, r.Responses[0].ResponsePut.Header.Revision);
        Assert.Equal(9, r.Responses[1].ResponseDeleteRange.Header.Revision);
        Assert.Equal(9, _s.One("y")!.ModRevision);
    }

    [Fact]
    public void RangeInsideTxn_SeesTheTxnsEarlierWrites()
    {
        // etcd storeTxnWrite.Range: reads at beginRev+1 once the txn has changes.
        TxnResponse r = TxnApplier.Txn(_s.Store, Txn(success: [OpGet("n"), OpPut("n", "new"), OpGet("n")])).Value;
        Assert.Empty(r.Responses[0].ResponseRange.Kvs);
        Assert.Equal(8, r.Responses[0].ResponseRange.Header.Revision);
        Assert.Equal("n=new c9 m9 v1 l0", Text(r.Responses[2].ResponseRange.Kvs.Single()));
        Assert.Equal(9, r.Responses[2].ResponseRange.Header.Revision);
        TxnResponse d = TxnApplier.Txn(_s.Store, Txn(success: [OpDel("k"), OpGet("k")])).Value;
        Assert.Empty(d.Responses[1].ResponseRange.Kvs);
    }

    [Fact]
    public void ReadOnlyTxn_HeaderIsCurrentRevision_AndNothingIsWritten()
    {
        // etcd: a txn of ranges only has header revision = current revision and does not bump it.
        TxnResponse r = TxnApplier.Txn(_s.Store, Txn(success: [OpGet("k"), OpGet("r/", "r0")])).Value;
        Assert.Equal(8, r.Header.Revision);
        Assert.Equal(8, _s.Rev);
        Assert.Equal(3, r.Responses[1].ResponseRange.Count);
    }

    [Fact]
    public void RangeInTxn_AtFutureOrCompactedRevision_FailsTheWholeTxn()
    {
        // etcd checkRequestRange: revision > current -> ErrFutureRev, < compact revision -> ErrCompacted,
        // checked before anything is applied.
        Assert.Equal(MvccError.FutureRevision, TxnApplier.Txn(_s.Store, Txn(success: [OpPut("w", "1"), OpGet("k", rev: 9)])).Error);
        Assert.Null(_s.One("w"));
        _ = _s.Store.Compact(5).Value;
        Assert.Equal(MvccError.Compacted, TxnApplier.Txn(_s.Store, Txn(success: [OpGet("k", rev: 4)])).Error);
        Assert.Equal(8, _s.Rev);
    }

    public static TheoryData<string, TxnRequest, bool> Duplicates => new()
    {
        { "put a twice", Txn(success: [OpPut("a", "1"), OpPut("a", "2")]), true },
        { "put then delete a", Txn(success: [OpPut("a", "1"), OpDel("a")]), true },
        { "delete then put a", Txn(success: [OpDel("a"), OpPut("a", "1")]), true },
        { "delete [a,c) and put b", Txn(success: [OpDel("a", "c"), OpPut("b", "1")]), true },
        { "put a and nested put a", Txn(success: [OpPut("a", "1"), OpTxn(Txn(success: [OpPut("a", "2")]))]), true },
        { "nested delete a and put a", Txn(success: [OpTxn(Txn(success: [OpDel("a")])), OpPut("a", "1")]), true },
        { "failure branch puts a twice", Txn(failure: [OpPut("a", "1"), OpPut("a", "2")]), true },
        { "nested then and else both put a", Txn(success: [OpTxn(Txn(success: [OpPut("a", "1")], failure: [OpPut("a", "2")]))]), false },
        { "success and failure both put a", Txn(success: [OpPut("a", "1")], failure: [OpPut("a", "2")]), false },
        { "delete a twice", Txn(success: [OpDel("a"), OpDel("a", "b")]), false },
        { "put a, put b", Txn(success: [OpPut("a", "1"), OpPut("b", "1")]), false },
        { "delete [a,c) and put c", Txn(success: [OpDel("a", "c"), OpPut("c", "1")]), false },
    };

    [Theory]
    [MemberData(nameof(Duplicates))]
    public void KeyPutTwice_OrPutAndDeleted_IsDuplicateKey(string name, TxnRequest txn, bool duplicate)
    {
        // etcd checkIntervals: one key put twice, or put and deleted, in one branch -> ErrGRPCDuplicateKey.
        MvccResult<TxnResponse> r = TxnApplier.Txn(_s.Store, txn);
        Assert.True(duplicate == (r.Error == MvccError.DuplicateKey), $"{name}: {r.Error}");
        if (duplicate) Assert.Equal(8, _s.Rev);
        else Assert.True(r.Ok, name);
    }

    public static TheoryData<string, TxnRequest, bool> OpCounts => new()
    {
        { "3 success ops", Txn(success: [OpPut("a", "1"), OpPut("b", "1"), OpPut("c", "1")]), false },
        { "4 success ops", Txn(success: [OpPut("a", "1"), OpPut("b", "1"), OpPut("c", "1"), OpPut("d", "1")]), true },
        { "4 failure ops", Txn(failure: [OpGet("a"), OpGet("b"), OpGet("c"), OpGet("d")]), true },
        {
            "4 compares", Txn([Cmp("a", Target.Version, Result.Equal, "0"), Cmp("b", Target.Version, Result.Equal, "0"),
                Cmp("c", Target.Version, Result.Equal, "0"), Cmp("d", Target.Version, Result.Equal, "0")]), true
        },
        // etcd checkRequestOp: a nested txn may use only maxTxnOps minus the outer txn's op count.
        { "nested 2 ops under 2 outer ops", Txn(success: [OpPut("a", "1"), OpTxn(Txn(success: [OpPut("b", "1"), OpPut("c", "1")]))]), true },
        { "nested 1 op under 2 outer ops", Txn(success: [OpPut("a", "1"), OpTxn(Txn(success: [OpPut("b", "1")]))]), false },
    };

    [Theory]
    [MemberData(nameof(OpCounts))]
    public void MoreOpsThanMaxTxnOps_IsTooManyOps(string name, TxnRequest txn, bool tooMany)
    {
        // etcd checkTxnRequest: max(compares, success, failure) > --max-txn-ops -> ErrGRPCTooManyOps.
        MvccResult<TxnResponse> r = TxnApplier.Txn(_s.Store, txn);
        Assert.True(tooMany == (r.Error == MvccError.TooManyOps), $"{name}: {r.Error}");
        if (!tooMany) Assert.True(r.Ok, name);
    }

    [Fact]
    public void EmptyRequestOp_IsKeyNotFound()
    {
        // etcd checkRequestOp: a RequestOp with no request set is ErrGRPCKeyNotFound.
        Assert.Equal(MvccError.KeyNotFound, TxnApplier.Txn(_s.Store, Txn(success: [new RequestOp()])).Error);
    }

    [Fact]
    public void EmptyKeyInCompareOrOp_IsEmptyKey()
    {
        // etcd checkTxnRequest: an empty key in a compare or an op is ErrGRPCEmptyKey.
        Assert.Equal(MvccError.EmptyKey, TxnApplier.Txn(_s.Store, Txn([new Compare { Key = ByteString.Empty }])).Error);
        Assert.Equal(MvccError.EmptyKey, TxnApplier.Txn(_s.Store, Txn(success: [OpPut("", "1")])).Error);
    }
}

public sealed class TxnFromKeyDeleteTests : IDisposable
{
    private readonly RuleStore _s = new();

    public void Dispose() => _s.Dispose();

    [Fact]
    public void AnIgnoreLeasePutAfterAFromKeyDeleteOfTheSameKeyIsKeyNotFound()
    {
        // etcd 3.4's checkIntervals reads range_end "\0" literally and lets this through, then panics while
        // applying (ignore_lease on a key the txn already deleted). Here it is refused before anything is written
        // with etcd's error for ignore_* on a missing key; a plain put after such a delete stays allowed, as in etcd.
        _s.Put("c5", "v");
        long rev = _s.Store.CurrentRevision;
        var txn = new Etcdserverpb.TxnRequest();
        txn.Success.Add(RuleStore.OpDel("c", "\0"));
        txn.Success.Add(new Etcdserverpb.RequestOp { RequestPut = new Etcdserverpb.PutRequest { Key = RuleStore.B("c5"), Value = RuleStore.B("w"), IgnoreLease = true } });
        Assert.Equal(MvccError.KeyNotFound, TxnApplier.Txn(_s.Store, txn).Error);
        Assert.Equal(rev, _s.Store.CurrentRevision);
        Assert.Equal("v", _s.One("c5")!.Value.ToStringUtf8());
        _s.Put("c6", "x"); // and the store goes on
        Assert.Equal(rev + 1, _s.Store.CurrentRevision);

        var plain = new Etcdserverpb.TxnRequest();
        plain.Success.Add(RuleStore.OpDel("c", "\0"));
        plain.Success.Add(RuleStore.OpPut("c5", "w"));
        Assert.True(TxnApplier.Txn(_s.Store, plain).Ok);
        Assert.Equal("w", _s.One("c5")!.Value.ToStringUtf8());
    }
}
