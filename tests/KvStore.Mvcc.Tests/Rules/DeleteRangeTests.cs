using Etcdserverpb;
using Google.Protobuf;
using KvStore.Server.Apply;
using static KvStore.Mvcc.Tests.Rules.RuleStore;

namespace KvStore.Mvcc.Tests.Rules;

/// <summary>etcd DeleteRange rules (etcdserver/apply.go applierV3backend.DeleteRange, storeTxnWrite.deleteRange).</summary>
public sealed class DeleteRangeTests : IDisposable
{
    private readonly RuleStore _s = new();

    public DeleteRangeTests()
    {
        foreach (string k in new[] { "a", "b", "c", "d" }) _s.Put(k, k.ToUpperInvariant()); // revs 2..5
    }

    public void Dispose() => _s.Dispose();

    [Theory]
    [InlineData("b", null, 1, "a,c,d")] // one key
    [InlineData("b", "d", 2, "a,d")] // [b, d)
    [InlineData("c", "\0", 2, "a,b")] // every key >= c
    [InlineData("\0", "\0", 4, "")] // everything
    [InlineData("x", null, 0, "a,b,c,d")] // missing key
    [InlineData("bb", "bz", 0, "a,b,c,d")] // empty range
    public void Deletes_KeyOrRange_AndCountsDeleted(string key, string? end, long deleted, string left)
    {
        // etcd: `deleted` is the number of keys removed; all of them at one revision.
        DeleteRangeResponse r = _s.Delete(key, end);
        Assert.Equal(deleted, r.Deleted);
        Assert.Equal(left, Keys(_s.Get("\0", "\0")));
        long expectedRev = deleted > 0 ? 6 : 5;
        Assert.Equal(expectedRev, r.Header.Revision);
        Assert.Equal(expectedRev, _s.Rev);
    }

    [Fact]
    public void PrevKv_ReturnsEveryDeletedKeyValue()
    {
        // etcd: prev_kv returns the kvs as they were before the delete, in key order.
        DeleteRangeResponse r = KvApplier.DeleteRange(_s.Store, DelReq("b", "d", prevKv: true)).Value;
        Assert.Equal(["b=B c3 m3 v1 l0", "c=C c4 m4 v1 l0"], r.PrevKvs.Select(Text));
        Assert.Empty(_s.Delete("a").PrevKvs); // not asked
    }

    [Fact]
    public void DeletingNothing_KeepsTheRevision()
    {
        // etcd storeTxnWrite.DeleteRange: no change -> beginRev, and End() does not bump currentRev.
        DeleteRangeResponse r = KvApplier.DeleteRange(_s.Store, DelReq("x", "y", prevKv: true)).Value;
        Assert.Equal(0, r.Deleted);
        Assert.Empty(r.PrevKvs);
        Assert.Equal(5, r.Header.Revision);
        Assert.Equal(5, _s.Rev);
        // deleting an already deleted key is nothing too
        _s.Delete("a");
        Assert.Equal(0, _s.Delete("a").Deleted);
        Assert.Equal(6, _s.Rev);
    }

    [Fact]
    public void DeletedKey_IsGoneNow_ButReadableInHistory()
    {
        // etcd mvcc: a delete writes a tombstone; older revisions still read the key until compacted.
        _s.Delete("a");
        Assert.Null(_s.One("a"));
        Assert.Equal("a=A c2 m2 v1 l0", Text(_s.One("a", 5)!));
    }

    [Fact]
    public void EmptyKey_IsEmptyKey()
    {
        // etcd v3rpc key.go: an empty key is ErrGRPCEmptyKey.
        Assert.Equal(MvccError.EmptyKey, KvApplier.DeleteRange(_s.Store, new DeleteRangeRequest { Key = ByteString.Empty }).Error);
    }
}
