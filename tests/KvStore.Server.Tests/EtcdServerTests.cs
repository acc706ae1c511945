using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;

namespace KvStore.Server.Tests;

public class EtcdServerTests
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static InternalRaftRequest Put(string key, string value, long lease = 0) =>
        new() { Put = new PutRequest { Key = B(key), Value = B(value), Lease = lease } };

    [Fact]
    public void MemberAndClusterIdsAreEtcds()
    {
        // etcd's well-known ids of a default single member: member 8e9e05c52164694d, cluster cdf818194e3a8c32.
        ulong member = MemberIds.Member(["http://localhost:2380"], "etcd-cluster");
        Assert.Equal(0x8e9e05c52164694dUL, member);
        Assert.Equal(0xcdf818194e3a8c32UL, MemberIds.Cluster([member]));
    }

    [Fact]
    public async Task ProposalsAreAppliedInOrderAndAnsweredWithTheirOwnRevision()
    {
        await using var m = await TestMember.StartAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 500).Select(i => m.Server.ProposeAsync(Put("k" + i, "v"), default)));
        Assert.All(results, r => Assert.True(r.Ok));
        var revisions = results.Select(r => ((PutResponse)r.Response!).Header.Revision).ToList();
        Assert.Equal(revisions.Count, revisions.Distinct().Count()); // one revision per put
        Assert.Equal(501, m.Server.Store.CurrentRevision);
        Assert.Equal(ServerError.None, await m.Server.ReadIndexAsync(default));
    }

    [Fact]
    public async Task AcknowledgedWritesSurviveARestart()
    {
        await using var m = await TestMember.StartAsync();
        for (int i = 0; i < 50; i++) Assert.True((await m.Server.ProposeAsync(Put("a" + i, "v" + i), default)).Ok);
        uint before = m.Server.Store.HashKV(0).Value.Hash;
        await m.RestartAsync();
        Assert.Equal(51, m.Server.Store.CurrentRevision);
        Assert.Equal(before, m.Server.Store.HashKV(0).Value.Hash);
        // and it keeps serving writes after the restart
        var r = await m.Server.ProposeAsync(Put("after", "restart"), default);
        Assert.Equal(52, ((PutResponse)r.Response!).Header.Revision);
    }

    [Fact]
    public async Task EngineErrorsComeBackAsResults()
    {
        await using var m = await TestMember.StartAsync();
        var r = await m.Server.ProposeAsync(Put("k", "v", lease: 12345), default);
        Assert.Equal(MvccError.LeaseNotFound, r.MvccError);
        r = await m.Server.ProposeAsync(new InternalRaftRequest { Compaction = new CompactionRequest { Revision = 99 } }, default);
        Assert.Equal(MvccError.FutureRevision, r.MvccError);
    }

    [Fact]
    public async Task RequestsLargerThanMaxRequestBytesAreRefused()
    {
        await using var m = await TestMember.StartAsync(c => c with { MaxRequestBytes = 1024 });
        var r = await m.Server.ProposeAsync(Put("big", new string('x', 2048)), default);
        Assert.Equal(ServerError.RequestTooLarge, r.Error);
    }

    [Fact]
    public async Task ExceedingTheQuotaRaisesNoSpaceAndRefusesWrites()
    {
        await using var m = await TestMember.StartAsync(c => c with { QuotaBackendBytes = 1 });
        var r = await m.Server.ProposeAsync(Put("k", "v"), default);
        Assert.Equal(ServerError.NoSpace, r.Error);
        // the NOSPACE alarm goes through the log; wait until it is applied
        for (int i = 0; i < 100 && m.Server.Alarms.Count == 0; i++) await Task.Delay(20);
        Assert.Contains(m.Server.Alarms, a => a.Alarm == AlarmType.Nospace && a.MemberID == m.Server.MemberId);
        Assert.Contains($"memberID:{m.Server.MemberId} alarm:NOSPACE ", m.Server.StatusErrors);
        // deletes and reads still work under NOSPACE (etcd's capped applier only refuses puts, txns with writes, grants)
        var del = await m.Server.ProposeAsync(new InternalRaftRequest { DeleteRange = new DeleteRangeRequest { Key = B("k") } }, default);
        Assert.True(del.Ok);
        // disarming clears it
        var disarm = await m.Server.ProposeAsync(new InternalRaftRequest
        {
            Alarm = new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Deactivate, MemberID = m.Server.MemberId, Alarm = AlarmType.Nospace },
        }, default);
        Assert.True(disarm.Ok);
        Assert.Empty(m.Server.Alarms);
    }

    [Fact]
    public async Task TheLeaderRevokesExpiredLeasesThroughTheLog()
    {
        await using var m = await TestMember.StartAsync(); // election timeout 300 ms: minimum TTL 1 s
        var grant = await m.Server.ProposeAsync(new InternalRaftRequest { LeaseGrant = new LeaseGrantRequest { ID = 7, TTL = 1 } }, default);
        Assert.True(grant.Ok);
        Assert.True((await m.Server.ProposeAsync(Put("leased", "v", lease: 7), default)).Ok);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (m.Server.Store.Lessor.Lookup(7) is not null && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Null(m.Server.Store.Lessor.Lookup(7));
        var range = m.Server.Store.Range(new RangeRequest { Key = B("leased") }).Value;
        Assert.Empty(range.Kvs);
    }

    [Fact]
    public async Task KeepAliveRenewsOnTheLeader()
    {
        await using var m = await TestMember.StartAsync();
        Assert.True((await m.Server.ProposeAsync(new InternalRaftRequest { LeaseGrant = new LeaseGrantRequest { ID = 9, TTL = 30 } }, default)).Ok);
        var (resp, mvccError, error) = await m.Server.LessorRenewAsync(9, default);
        Assert.Equal(ServerError.None, error);
        Assert.Equal(MvccError.None, mvccError);
        Assert.Equal(30, resp!.TTL);
        Assert.Equal(m.Server.ClusterId, resp.Header.ClusterId);
        var missing = await m.Server.LessorRenewAsync(10, default);
        Assert.Equal(MvccError.LeaseNotFound, missing.MvccError);
    }
}

public class AutoCompactorTests
{
    [Theory]
    [InlineData("1", 3600)]
    [InlineData("0", 0)]
    [InlineData("5m", 300)]
    [InlineData("1h30m", 5400)]
    [InlineData("500ms", 0.5)]
    public void RetentionParsesAsEtcd(string retention, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), AutoCompactor.ParsePeriod(retention));

    [Fact]
    public async Task PeriodicModeCompactsHistoryOlderThanTheRetention()
    {
        await using var m = await TestMember.StartAsync(c => c with { AutoCompactionMode = "periodic", AutoCompactionRetention = "1s" });
        for (int i = 0; i < 20; i++)
        {
            await m.Server.ProposeAsync(new Etcdserverpb.InternalRaftRequest
            {
                Put = new Etcdserverpb.PutRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("k"), Value = Google.Protobuf.ByteString.CopyFromUtf8("v" + i) },
            }, default);
        }
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (m.Server.Store.CompactRevision < 2 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.True(m.Server.Store.CompactRevision >= 2, $"compact revision {m.Server.Store.CompactRevision}");
    }

    [Fact]
    public async Task RevisionModeKeepsTheRetention()
    {
        await using var m = await TestMember.StartAsync(c => c with
        {
            AutoCompactionMode = "revision", AutoCompactionRetention = "5", AutoCompactionRevisionInterval = TimeSpan.FromMilliseconds(100),
        });
        for (int i = 0; i < 20; i++)
        {
            await m.Server.ProposeAsync(new Etcdserverpb.InternalRaftRequest
            {
                Put = new Etcdserverpb.PutRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("k"), Value = Google.Protobuf.ByteString.CopyFromUtf8("v" + i) },
            }, default);
        }
        long target = m.Server.Store.CurrentRevision - 5;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (m.Server.Store.CompactRevision < target && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(target, m.Server.Store.CompactRevision);
    }
}

public class DeepTxnTests
{
    [Fact]
    public async Task ATxnNestedNearProtobufsLimitIsAppliedNotDropped()
    {
        // A client may nest up to protobuf's default depth (100); the Raft batch wraps it two messages deeper.
        await using var m = await TestMember.StartAsync();
        var txn = new Etcdserverpb.TxnRequest();
        txn.Success.Add(new Etcdserverpb.RequestOp { RequestPut = new Etcdserverpb.PutRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("deep"), Value = Google.Protobuf.ByteString.CopyFromUtf8("v") } });
        for (int i = 0; i < 45; i++)
        {
            var outer = new Etcdserverpb.TxnRequest();
            outer.Success.Add(new Etcdserverpb.RequestOp { RequestTxn = txn });
            txn = outer;
        }
        var r = await m.Server.ProposeAsync(new Etcdserverpb.InternalRaftRequest { Txn = txn }, default);
        Assert.Equal(ServerError.None, r.Error);
        Assert.True(((Etcdserverpb.TxnResponse)r.Response!).Succeeded);
        Assert.Single(m.Server.Store.Range(new Etcdserverpb.RangeRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("deep") }).Value.Kvs);
    }
}
