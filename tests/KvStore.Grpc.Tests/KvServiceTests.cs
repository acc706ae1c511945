using Etcdserverpb;
using Grpc.Core;
using KvStore.Server;
using static KvStore.Grpc.Tests.GrpcHost;

namespace KvStore.Grpc.Tests;

public sealed class KvFixture : HostFixture
{
    public const int MaxRequestBytes = 64 * 1024;

    protected override ServerConfig Configure(ServerConfig c) => c with { MaxRequestBytes = MaxRequestBytes, MaxTxnOps = 8 };
}

/// <summary>etcd's KV service (v3rpc/key.go) through a real gRPC channel to a real member.</summary>
public sealed class KvServiceTests(KvFixture fixture) : IClassFixture<KvFixture>
{
    private readonly GrpcHost _h = fixture.Host;

    [Fact]
    public async Task PutThenRange_LinearizableAndSerializable_WithEtcdsHeader()
    {
        long rev = await _h.PutAsync("kv/range/a", "1");
        await _h.PutAsync("kv/range/b", "2");
        foreach (bool serializable in new[] { false, true })
        {
            RangeResponse r = await _h.Kv.RangeAsync(new RangeRequest { Key = B("kv/range/"), RangeEnd = B("kv/range0"), Serializable = serializable });
            Assert.Equal(["1", "2"], r.Kvs.Select(kv => kv.Value.ToStringUtf8()));
            Assert.Equal(rev, r.Kvs[0].ModRevision);
            Assert.Equal(2, r.Count);
            // etcd's header.fill: cluster id, member id, raft term, and the revision the read was at.
            Assert.Equal(_h.Server.ClusterId, r.Header.ClusterId);
            Assert.Equal(_h.Server.MemberId, r.Header.MemberId);
            Assert.Equal((ulong)_h.Server.RaftTerm, r.Header.RaftTerm);
            Assert.Equal(_h.Server.Store.CurrentRevision, r.Header.Revision);
        }
    }

    [Fact]
    public async Task PutAnswersWithItsOwnRevisionAndPrevKv()
    {
        long first = await _h.PutAsync("kv/put", "1");
        PutResponse p = await _h.Kv.PutAsync(new PutRequest { Key = B("kv/put"), Value = B("2"), PrevKv = true });
        Assert.True(p.Header.Revision > first);
        Assert.Equal("1", p.PrevKv.Value.ToStringUtf8());
        Assert.Equal(_h.Server.MemberId, p.Header.MemberId);
    }

    [Fact]
    public async Task DeleteRange_CountsAndReturnsPrevKvs()
    {
        await _h.PutAsync("kv/del/1", "1");
        await _h.PutAsync("kv/del/2", "2");
        DeleteRangeResponse d = await _h.Kv.DeleteRangeAsync(new DeleteRangeRequest { Key = B("kv/del/"), RangeEnd = B("kv/del0"), PrevKv = true });
        Assert.Equal(2, d.Deleted);
        Assert.Equal(["1", "2"], d.PrevKvs.Select(kv => kv.Value.ToStringUtf8()));
        Assert.Equal(_h.Server.Store.CurrentRevision, d.Header.Revision);
    }

    [Fact]
    public async Task Txn_TakesTheBranchItsComparesChoose()
    {
        await _h.PutAsync("kv/txn", "v1");
        var txn = new TxnRequest
        {
            Compare = { new Compare { Key = B("kv/txn"), Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = B("v1") } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = B("kv/txn"), Value = B("v2") } } },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = B("kv/txn") } } },
        };
        TxnResponse ok = await _h.Kv.TxnAsync(txn);
        Assert.True(ok.Succeeded);
        Assert.Equal(_h.Server.Store.CurrentRevision, ok.Header.Revision);
        Assert.Equal(_h.Server.MemberId, ok.Header.MemberId);
        TxnResponse failed = await _h.Kv.TxnAsync(txn);
        Assert.False(failed.Succeeded);
        Assert.Equal("v2", failed.Responses[0].ResponseRange.Kvs[0].Value.ToStringUtf8());
        // etcd fills the outer header only: an inner response keeps what the applier gave it (no member id).
        Assert.Equal(0UL, failed.Responses[0].ResponseRange.Header.MemberId);
    }

    [Fact]
    public async Task ReadOnlyTxn_IsServedWithoutAProposal()
    {
        await _h.PutAsync("kv/ro", "1");
        long applied = _h.Server.AppliedIndex;
        long rev = _h.Server.Store.CurrentRevision;
        var txn = new TxnRequest { Success = { new RequestOp { RequestRange = new RangeRequest { Key = B("kv/ro") } } } };
        TxnResponse r = await _h.Kv.TxnAsync(txn);
        Assert.True(r.Succeeded);
        Assert.Equal("1", r.Responses[0].ResponseRange.Kvs[0].Value.ToStringUtf8());
        Assert.Equal(rev, r.Header.Revision);
        Assert.Equal(applied, _h.Server.AppliedIndex); // nothing went through the log
    }

    [Fact]
    public async Task Compact_OfAFutureRevision_IsOutOfRange()
    {
        Status s = await FailsWith(() => _h.Kv.CompactAsync(new CompactionRequest { Revision = 1_000_000 }).ResponseAsync);
        AssertStatus(StatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision", s);
    }

    public static TheoryData<string, StatusCode, string> Invalid => new()
    {
        { "range with no key", StatusCode.InvalidArgument, "etcdserver: key is not provided" },
        { "put with no key", StatusCode.InvalidArgument, "etcdserver: key is not provided" },
        { "delete with no key", StatusCode.InvalidArgument, "etcdserver: key is not provided" },
        { "ignore_value with a value", StatusCode.InvalidArgument, "etcdserver: value is provided" },
        { "ignore_lease with a lease", StatusCode.InvalidArgument, "etcdserver: lease is provided" },
        { "ignore_value on a missing key", StatusCode.InvalidArgument, "etcdserver: key not found" },
        { "put with a missing lease", StatusCode.NotFound, "etcdserver: requested lease not found" },
        { "range at a future revision", StatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision" },
        { "sort order out of its enum", StatusCode.InvalidArgument, "etcdserver: invalid sort option" },
        { "sort target out of its enum", StatusCode.InvalidArgument, "etcdserver: invalid sort option" },
        { "txn sort option out of its enum", StatusCode.InvalidArgument, "etcdserver: invalid sort option" },
        { "txn putting one key twice", StatusCode.InvalidArgument, "etcdserver: duplicate key given in txn request" },
        { "txn with more ops than --max-txn-ops", StatusCode.InvalidArgument, "etcdserver: too many operations in txn request" },
        { "txn with an empty op", StatusCode.InvalidArgument, "etcdserver: key not found" },
        { "put above --max-request-bytes", StatusCode.InvalidArgument, "etcdserver: request is too large" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task InvalidRequests_FailWithEtcdsCodeAndMessage(string request, StatusCode code, string message)
    {
        KV.KVClient kv = _h.Kv;
        Func<Task> call = request switch
        {
            "range with no key" => () => kv.RangeAsync(new RangeRequest()).ResponseAsync,
            "put with no key" => () => kv.PutAsync(new PutRequest { Value = B("v") }).ResponseAsync,
            "delete with no key" => () => kv.DeleteRangeAsync(new DeleteRangeRequest()).ResponseAsync,
            "ignore_value with a value" => () => kv.PutAsync(new PutRequest { Key = B("kv/x"), Value = B("v"), IgnoreValue = true }).ResponseAsync,
            "ignore_lease with a lease" => () => kv.PutAsync(new PutRequest { Key = B("kv/x"), Lease = 5, IgnoreLease = true }).ResponseAsync,
            "ignore_value on a missing key" => () => kv.PutAsync(new PutRequest { Key = B("kv/missing"), IgnoreValue = true }).ResponseAsync,
            "put with a missing lease" => () => kv.PutAsync(new PutRequest { Key = B("kv/x"), Lease = 424242 }).ResponseAsync,
            "range at a future revision" => () => kv.RangeAsync(new RangeRequest { Key = B("kv/x"), Revision = 1_000_000 }).ResponseAsync,
            "sort order out of its enum" => () => kv.RangeAsync(new RangeRequest { Key = B("kv/x"), SortOrder = (RangeRequest.Types.SortOrder)7 }).ResponseAsync,
            "sort target out of its enum" => () => kv.RangeAsync(new RangeRequest { Key = B("kv/x"), SortTarget = (RangeRequest.Types.SortTarget)9 }).ResponseAsync,
            "txn sort option out of its enum" => () => kv.TxnAsync(new TxnRequest
            {
                Success = { new RequestOp { RequestRange = new RangeRequest { Key = B("kv/x"), SortOrder = (RangeRequest.Types.SortOrder)7 } } },
            }).ResponseAsync,
            "txn putting one key twice" => () => kv.TxnAsync(new TxnRequest
            {
                Success = { new RequestOp { RequestPut = new PutRequest { Key = B("kv/d") } }, new RequestOp { RequestPut = new PutRequest { Key = B("kv/d") } } },
            }).ResponseAsync,
            "txn with more ops than --max-txn-ops" => () => kv.TxnAsync(new TxnRequest
            {
                Success = { Enumerable.Range(0, 9).Select(i => new RequestOp { RequestPut = new PutRequest { Key = B("kv/many" + i) } }) },
            }).ResponseAsync,
            "txn with an empty op" => () => kv.TxnAsync(new TxnRequest { Success = { new RequestOp() } }).ResponseAsync,
            "put above --max-request-bytes" => () => kv.PutAsync(new PutRequest { Key = B("kv/big"), Value = B(new string('x', KvFixture.MaxRequestBytes)) }).ResponseAsync,
            _ => throw new ArgumentException(request),
        };
        AssertStatus(code, message, await FailsWith(call));
    }

    [Fact]
    public async Task AMessageAboveTheGrpcLimit_IsRefusedBeforeItReachesTheMember()
    {
        // etcd's MaxRecvMsgSize is --max-request-bytes plus 512 KiB; above it gRPC itself refuses the message.
        string value = new('x', KvFixture.MaxRequestBytes + WatchService.GrpcOverheadBytes + 1);
        Status s = await FailsWith(() => _h.Kv.PutAsync(new PutRequest { Key = B("kv/huge"), Value = B(value) }).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, s.StatusCode);
        RangeResponse r = await _h.Kv.RangeAsync(new RangeRequest { Key = B("kv/huge") });
        Assert.Empty(r.Kvs);
    }

    [Fact]
    public async Task RequireLeaderMetadata_PassesWhileTheMemberHasALeader()
    {
        // clientv3.WithRequireLeader: "hasleader: true"; refused only while there is no leader.
        var headers = new Metadata { { EtcdCallInterceptor.RequireLeaderKey, EtcdCallInterceptor.RequireLeaderValue } };
        RangeResponse r = await _h.Kv.RangeAsync(new RangeRequest { Key = B("kv/leader") }, headers);
        Assert.Empty(r.Kvs);
    }
}
