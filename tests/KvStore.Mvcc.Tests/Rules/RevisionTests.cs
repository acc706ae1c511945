using Etcdserverpb;
using KvStore.Mvcc.Watch;
using KvStore.Server.Apply;
using Mvccpb;
using static KvStore.Mvcc.Tests.Rules.RuleStore;

namespace KvStore.Mvcc.Tests.Rules;

/// <summary>etcd mvcc revision rules (mvcc/kvstore_txn.go storeTxnWrite, mvcc/key_index.go).</summary>
public sealed class RevisionTests
{
    [Fact]
    public void EmptyStore_IsAtRevision1_AndFirstWriteMakes2()
    {
        // etcd mvcc: a new store has currentRev 1; the first write txn gets main revision 2.
        using var s = new RuleStore();
        Assert.Equal(1, s.Rev);
        Assert.Equal(1, s.Get("a").Header.Revision);
        Assert.Equal(2, s.Put("a", "1").Header.Revision);
        Assert.Equal(2, s.Rev);
    }

    [Fact]
    public void EachWriteTxn_GetsOneMainRevision()
    {
        // etcd mvcc: every write txn (put, delete, txn) ends with currentRev++ exactly once.
        using var s = new RuleStore();
        s.Put("a", "1");
        s.Put("b", "1");
        Assert.Equal(3, s.Rev);
        s.Delete("a");
        Assert.Equal(4, s.Rev);
        _ = TxnApplier.Txn(s.Store, Txn(success: [OpPut("x", "1"), OpPut("y", "1"), OpDel("b")])).Value;
        Assert.Equal(5, s.Rev);
        Assert.Equal(5, s.One("x")!.ModRevision);
        Assert.Equal(5, s.One("y")!.ModRevision);
    }

    [Fact]
    public void SubRevisionPerChange_EventsOfOneTxnKeepOpOrder()
    {
        // etcd mvcc: changes in one txn get sub revisions 0,1,2... in op order; watchers see them in that order.
        using var s = new RuleStore();
        s.Put("b", "0");
        using WatchStream ws = s.Store.NewWatchStream();
        _ = ws.Watch(B("a").Span, B("z").Span, 0).Value;
        _ = TxnApplier.Txn(s.Store, Txn(success: [OpPut("c", "1"), OpDel("b"), OpPut("a", "1")])).Value;
        Assert.True(ws.TryRead(out WatchResponse resp));
        Assert.Equal("PUT c,DEL b,PUT a", Keys(resp.Events));
        Assert.All(resp.Events, e => Assert.Equal(3, e.Kv.ModRevision));
    }

    [Fact]
    public void PerKeyFields_CreateModVersionLease()
    {
        // etcd mvcc: create_revision stays, mod_revision moves, version counts puts, lease is the last put's.
        using var s = new RuleStore();
        long lease = s.Grant(7, 100);
        s.Put("other", "x"); // rev 2
        s.Put("k", "1"); // rev 3: created
        s.Put("other", "y"); // rev 4
        s.Put("k", "2", lease); // rev 5
        KeyValue kv = s.One("k")!;
        Assert.Equal((3L, 5L, 2L, 7L, "2"), (kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease, kv.Value.ToStringUtf8()));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void Version_Is1OnCreate_AndPlus1PerPut(int puts)
    {
        // etcd mvcc: version is 1 on creation and grows by one with every put of the same generation.
        using var s = new RuleStore();
        for (int i = 0; i < puts; i++) s.Put("k", $"v{i}");
        KeyValue kv = s.One("k")!;
        Assert.Equal(puts, kv.Version);
        Assert.Equal(2, kv.CreateRevision);
        Assert.Equal(1 + puts, kv.ModRevision);
    }

    [Fact]
    public void Delete_EndsGeneration_RecreateStartsAtVersion1WithNewCreateRevision()
    {
        // etcd mvcc keyIndex: a tombstone ends the generation; the next put starts a new one (version 1).
        using var s = new RuleStore();
        s.Put("k", "1"); // 2
        s.Put("k", "2"); // 3
        s.Delete("k"); // 4
        Assert.Null(s.One("k"));
        s.Put("k", "3"); // 5
        KeyValue kv = s.One("k")!;
        Assert.Equal((5L, 5L, 1L), (kv.CreateRevision, kv.ModRevision, kv.Version));
        // the old generation is still readable at its revisions
        Assert.Equal((2L, 3L, 2L), (s.One("k", 3)!.CreateRevision, s.One("k", 3)!.ModRevision, s.One("k", 3)!.Version));
        Assert.Null(s.One("k", 4));
    }

    [Fact]
    public void TxnThatChangesNothing_DoesNotBumpRevision()
    {
        // etcd mvcc: storeTxnWrite.End only increments currentRev when the txn has changes.
        using var s = new RuleStore();
        s.Put("a", "1");
        long rev = s.Rev;
        // failed compare with an empty failure branch
        TxnResponse t1 = TxnApplier.Txn(s.Store, Txn([new Compare { Key = B("a"), Target = Compare.Types.CompareTarget.Value, Value = B("nope") }],
            [OpPut("a", "2")])).Value;
        Assert.False(t1.Succeeded);
        Assert.Equal(rev, t1.Header.Revision);
        // a txn that only deletes missing keys
        TxnResponse t2 = TxnApplier.Txn(s.Store, Txn(success: [OpDel("missing"), OpDel("x", "y")])).Value;
        Assert.Equal(rev, t2.Header.Revision);
        Assert.Equal(rev, s.Rev);
    }

    [Fact]
    public void DeleteOfMissingKey_DoesNotBumpRevision()
    {
        // etcd mvcc: DeleteRange that deletes nothing returns beginRev and leaves currentRev.
        using var s = new RuleStore();
        s.Put("a", "1");
        DeleteRangeResponse d = s.Delete("b");
        Assert.Equal(0, d.Deleted);
        Assert.Equal(2, d.Header.Revision);
        Assert.Equal(2, s.Rev);
    }
}
