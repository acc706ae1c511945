using Etcdserverpb;
using KvStore.Server.Apply;
using Mvccpb;
using static KvStore.Mvcc.Tests.Rules.RuleStore;

namespace KvStore.Mvcc.Tests.Rules;

/// <summary>etcd's TxnRead (mvcc/kv.go): reads at the revision it began at, under the read lock until End.</summary>
public sealed class TxnReadTests
{
    [Fact]
    public void TxnRead_ReadsAtItsRevision_AndEndReleasesTheReadLock()
    {
        using var s = new RuleStore();
        s.Put("a", "1");
        s.Put("b", "1");
        s.Put("c", "1");
        s.Delete("b");
        long rev = s.Rev;

        TxnRead tx = s.Store.BeginRead();
        Assert.Equal(rev, tx.ReadRev);
        Assert.Equal("a,c", string.Join(",", tx.KeyValues(B("a").Span, B("z").ToByteArray()).Select(kv => kv.Key.ToStringUtf8())));
        Assert.Empty(tx.KeyValues(B("b").Span, null));
        RangeResponse range = tx.Range(RangeReq("a", "z")).Value;
        Assert.Equal("a,c", Keys(range));
        Assert.Equal(rev, range.Header.Revision);
        Assert.Equal(MvccError.EmptyKey, tx.Range(new RangeRequest()).Error);
        tx.End();
        tx.End(); // a second End releases nothing twice

        // the engine's lock does not recurse: a write on this thread throws while the read lock is still held
        Assert.Equal(rev + 1, s.Put("d", "1").Header.Revision);
    }

    [Fact]
    public void ReadTxn_OfRangesOnly_AnswersAsTheWriteTxn_AndWritesNothing()
    {
        // etcd's applierV3backend.Txn takes a read transaction when isTxnReadonly.
        using var s = new RuleStore();
        s.Put("a", "1");
        s.Put("b", "2");
        var cmp = new Compare { Key = B("a"), Target = Compare.Types.CompareTarget.Value, Value = B("1") };
        TxnRequest txn = Txn([cmp], success: [OpGet("a", "z"), OpGet("b", rev: 2)], failure: [OpGet("b")]);
        long rev = s.Rev;

        TxnResponse read = TxnApplier.ReadTxn(s.Store, txn).Value;
        TxnResponse write = TxnApplier.Txn(s.Store, txn).Value;
        Assert.Equal(write, read);
        Assert.True(read.Succeeded);
        Assert.Equal(rev, read.Header.Revision);
        Assert.Equal(rev, s.Rev);
        Assert.Equal(MvccError.FutureRevision, TxnApplier.ReadTxn(s.Store, Txn(success: [OpGet("a", rev: rev + 1)])).Error);
    }
}
