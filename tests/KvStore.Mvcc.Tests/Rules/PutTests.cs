using Etcdserverpb;
using Google.Protobuf;
using KvStore.Server.Apply;
using static KvStore.Mvcc.Tests.Rules.RuleStore;

namespace KvStore.Mvcc.Tests.Rules;

/// <summary>etcd Put rules (etcdserver/apply.go applierV3backend.Put, api/v3rpc/key.go checkPutRequest).</summary>
public sealed class PutTests : IDisposable
{
    private readonly RuleStore _s = new();

    public void Dispose() => _s.Dispose();

    [Fact]
    public void PrevKv_ReturnsThePreviousKeyValue_OrNothingOnCreate()
    {
        // etcd: prev_kv returns the kv before the put; none when the key did not exist.
        PutResponse first = KvApplier.Put(_s.Store, new PutRequest { Key = B("k"), Value = B("1"), PrevKv = true }).Value;
        Assert.Null(first.PrevKv);
        PutResponse second = KvApplier.Put(_s.Store, new PutRequest { Key = B("k"), Value = B("2"), PrevKv = true }).Value;
        Assert.Equal("k=1 c2 m2 v1 l0", Text(second.PrevKv));
        Assert.Equal(3, second.Header.Revision);
        // without prev_kv there is none
        Assert.Null(_s.Put("k", "3").PrevKv);
    }

    [Fact]
    public void Lease_AttachesKeyToLease()
    {
        // etcd: a put with a lease attaches the key; the kv carries the lease id.
        _s.Grant(5, 60);
        _s.Put("k", "v", lease: 5);
        Assert.Equal(5, _s.One("k")!.Lease);
        LeaseTimeToLiveResponse ttl = _s.Store.Lessor.TimeToLive(new LeaseTimeToLiveRequest { ID = 5, Keys = true }, 0).Value;
        Assert.Equal(["k"], ttl.Keys.Select(k => k.ToStringUtf8()));
    }

    [Fact]
    public void IgnoreValue_KeepsValue_ChangesLease()
    {
        // etcd: ignore_value reuses the current value; the rest of the put applies.
        _s.Grant(5, 60);
        _s.Put("k", "keep");
        PutResponse r = KvApplier.Put(_s.Store, new PutRequest { Key = B("k"), IgnoreValue = true, Lease = 5 }).Value;
        Assert.Equal(3, r.Header.Revision);
        Assert.Equal("k=keep c2 m3 v2 l5", Text(_s.One("k")!));
    }

    [Fact]
    public void IgnoreLease_KeepsLease_ChangesValue()
    {
        // etcd: ignore_lease reuses the current lease.
        _s.Grant(5, 60);
        _s.Put("k", "1", lease: 5);
        _ = KvApplier.Put(_s.Store, new PutRequest { Key = B("k"), Value = B("2"), IgnoreLease = true }).Value;
        Assert.Equal("k=2 c2 m3 v2 l5", Text(_s.One("k")!));
        Assert.Equal(["k"], _s.Store.Lessor.Lookup(5)!.Value.Keys.Select(k => System.Text.Encoding.UTF8.GetString(k)));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void IgnoreValueOrLease_OnMissingKey_IsKeyNotFound(bool ignoreValue, bool ignoreLease)
    {
        // etcd: ignore_{value,lease} expects a previous kv, else ErrKeyNotFound; nothing is written.
        var req = new PutRequest { Key = B("missing"), IgnoreValue = ignoreValue, IgnoreLease = ignoreLease };
        if (!ignoreValue) req.Value = B("v");
        Assert.Equal(MvccError.KeyNotFound, KvApplier.Put(_s.Store, req).Error);
        Assert.Equal(1, _s.Rev);
        Assert.Equal(MvccError.KeyNotFound, TxnApplier.Txn(_s.Store, Txn(success: [new RequestOp { RequestPut = req }])).Error);
        Assert.Equal(1, _s.Rev);
    }

    [Fact]
    public void IgnoreValue_WithValue_IsValueProvided()
    {
        // etcd checkPutRequest: ignore_value with a value is ErrGRPCValueProvided.
        _s.Put("k", "1");
        var req = new PutRequest { Key = B("k"), Value = B("x"), IgnoreValue = true };
        Assert.Equal(MvccError.ValueProvided, KvApplier.Put(_s.Store, req).Error);
        Assert.Equal(MvccError.ValueProvided, TxnApplier.Txn(_s.Store, Txn(success: [new RequestOp { RequestPut = req }])).Error);
        Assert.Equal(2, _s.Rev);
    }

    [Fact]
    public void IgnoreLease_WithLease_IsLeaseProvided()
    {
        // etcd checkPutRequest: ignore_lease with a lease is ErrGRPCLeaseProvided.
        _s.Grant(5, 60);
        _s.Put("k", "1");
        var req = new PutRequest { Key = B("k"), Value = B("x"), IgnoreLease = true, Lease = 5 };
        Assert.Equal(MvccError.LeaseProvided, KvApplier.Put(_s.Store, req).Error);
        Assert.Equal(2, _s.Rev);
    }

    [Fact]
    public void UnknownLease_IsLeaseNotFound_AndNothingIsWritten()
    {
        // etcd: a put with a lease the lessor does not know is ErrLeaseNotFound, in a txn too.
        Assert.Equal(MvccError.LeaseNotFound, KvApplier.Put(_s.Store, PutReq("k", "v", 99)).Error);
        Assert.Equal(MvccError.LeaseNotFound, TxnApplier.Txn(_s.Store, Txn(success: [OpPut("k", "v", 99)])).Error);
        Assert.Equal(1, _s.Rev);
        Assert.Null(_s.One("k"));
    }

    [Fact]
    public void EmptyKey_IsEmptyKey()
    {
        // etcd v3rpc key.go: an empty key is ErrGRPCEmptyKey.
        Assert.Equal(MvccError.EmptyKey, KvApplier.Put(_s.Store, new PutRequest { Key = ByteString.Empty, Value = B("v") }).Error);
    }

    [Fact]
    public void Put_MovesKeyFromOneLeaseToAnother()
    {
        // etcd storeTxnWrite.put: detach the key from its old lease, attach it to the new one; revoking the old
        // lease then leaves the key alone.
        _s.Grant(1, 60);
        _s.Grant(2, 60);
        _s.Put("k", "v", lease: 1);
        _s.Put("k", "v", lease: 2);
        Assert.Empty(_s.Store.Lessor.Lookup(1)!.Value.Keys);
        Assert.Single(_s.Store.Lessor.Lookup(2)!.Value.Keys);
        _ = _s.Store.LeaseRevoke(1).Value;
        Assert.Equal("k=v c2 m3 v2 l2", Text(_s.One("k")!));
        _ = _s.Store.LeaseRevoke(2).Value;
        Assert.Null(_s.One("k"));
    }

    [Fact]
    public void PutWithoutLease_DetachesTheKey()
    {
        // etcd: a put with lease 0 (and no ignore_lease) detaches the key from its lease.
        _s.Grant(1, 60);
        _s.Put("k", "v", lease: 1);
        _s.Put("k", "v2");
        Assert.Empty(_s.Store.Lessor.Lookup(1)!.Value.Keys);
        _ = _s.Store.LeaseRevoke(1).Value;
        Assert.Equal("k=v2 c2 m3 v2 l0", Text(_s.One("k")!));
    }
}
