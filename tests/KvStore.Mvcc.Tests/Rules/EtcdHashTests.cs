using Etcdserverpb;
using KvStore.Server.Apply;
using static KvStore.Mvcc.Tests.Rules.RuleStore;

namespace KvStore.Mvcc.Tests.Rules;

/// <summary>
/// HashKV is etcd 3.4's HashByRev over the same bytes etcd stores, so equal history gives etcd's own hash.
/// The expected values were printed by `etcdctl endpoint hashkv` against etcd 3.4.23 after the same commands.
/// </summary>
public sealed class EtcdHashTests : IDisposable
{
    private readonly RuleStore _s = new();

    public void Dispose() => _s.Dispose();

    [Fact]
    public void HashKVEqualsEtcdsForTheSameHistoryBeforeAndAfterCompaction()
    {
        _s.Put("a", "1");                 // rev 2
        _s.Put("b", "2");                 // rev 3
        _s.Put("a", "3");                 // rev 4
        _s.Delete("b");                   // rev 5
        _s.Put("c", "");                  // rev 6
        var txn = new TxnRequest();       // rev 7: value("a") = "3" -> put x y; del c
        txn.Compare.Add(new Compare { Key = B("a"), Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = B("3") });
        txn.Success.Add(OpPut("x", "y"));
        txn.Success.Add(OpDel("c"));
        Assert.True(TxnApplier.Txn(_s.Store, txn).Value.Succeeded);
        Assert.Equal(712912064u, _s.Store.HashKV(0).Value.Hash);

        Assert.True(_s.Store.Compact(4).Ok);
        Assert.Equal(974464586u, _s.Store.HashKV(0).Value.Hash);

        _s.Put("d", "4");                 // rev 8
        Assert.Equal(102179033u, _s.Store.HashKV(8).Value.Hash);

        _s.Delete("x");                   // rev 9
        _s.Delete("d");                   // rev 10
        Assert.True(_s.Store.Compact(9).Ok);
        Assert.Equal(1932907723u, _s.Store.HashKV(0).Value.Hash);
    }
}
