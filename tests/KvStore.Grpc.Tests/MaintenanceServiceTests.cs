using System.Security.Cryptography;
using Etcdserverpb;
using Grpc.Core;
using KvStore.Mvcc;
using KvStore.Server;
using static KvStore.Grpc.Tests.GrpcHost;

namespace KvStore.Grpc.Tests;

/// <summary>etcd's Maintenance and Cluster services (v3rpc/maintenance.go, member.go) over a real member.</summary>
public sealed class MaintenanceServiceTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private readonly GrpcHost _h = fixture.Host;

    [Fact]
    public async Task Status_ReportsVersionLeaderAndRaftIndexes()
    {
        await _h.PutAsync("m/status", "1");
        StatusResponse s = await _h.Maintenance.StatusAsync(new StatusRequest());
        Assert.Equal(EtcdVersion.Server, s.Version);
        Assert.Equal(_h.Server.MemberId, s.Leader);
        Assert.Equal(_h.Server.MemberId, s.Header.MemberId);
        Assert.True(s.RaftIndex >= s.RaftAppliedIndex && s.RaftAppliedIndex > 0);
        Assert.Equal((ulong)_h.Server.RaftTerm, s.RaftTerm);
        Assert.True(s.DbSize > 0);
        Assert.InRange(s.DbSizeInUse, 1, s.DbSize);
        Assert.Empty(s.Errors);
        Assert.False(s.IsLearner);
    }

    [Fact]
    public async Task HashAndHashKV_AreTheEnginesAtTheCurrentRevision()
    {
        await _h.PutAsync("m/hash", "1");
        HashKVResponse kv = await _h.Maintenance.HashKVAsync(new HashKVRequest());
        Assert.Equal(_h.Server.Store.HashKV(0).Value.Hash, kv.Hash);
        Assert.Equal(_h.Server.Store.CurrentRevision, kv.Header.Revision);
        HashResponse h = await _h.Maintenance.HashAsync(new HashRequest());
        Assert.Equal(_h.Server.Store.Hash().Hash, h.Hash);
        AssertStatus(StatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision",
            await FailsWith(() => _h.Maintenance.HashKVAsync(new HashKVRequest { Revision = 1_000_000 }).ResponseAsync));
    }

    [Fact]
    public async Task Defragment_Succeeds()
    {
        DefragmentResponse r = await _h.Maintenance.DefragmentAsync(new DefragmentRequest());
        Assert.NotNull(r);
    }

    [Fact]
    public async Task Alarm_ActivateListDeactivate()
    {
        var corrupt = new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Activate, MemberID = _h.Server.MemberId, Alarm = AlarmType.Corrupt };
        AlarmResponse raised = await _h.Maintenance.AlarmAsync(corrupt);
        Assert.Equal(AlarmType.Corrupt, Assert.Single(raised.Alarms).Alarm);
        AlarmResponse list = await _h.Maintenance.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Get });
        Assert.Contains(list.Alarms, a => a.Alarm == AlarmType.Corrupt && a.MemberID == _h.Server.MemberId);
        Assert.Empty((await _h.Maintenance.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Get, Alarm = AlarmType.Nospace })).Alarms);
        Assert.NotEmpty((await _h.Maintenance.StatusAsync(new StatusRequest())).Errors);

        corrupt.Action = AlarmRequest.Types.AlarmAction.Deactivate;
        AlarmResponse cleared = await _h.Maintenance.AlarmAsync(corrupt);
        Assert.Equal(AlarmType.Corrupt, Assert.Single(cleared.Alarms).Alarm);
        Assert.Empty((await _h.Maintenance.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Get })).Alarms);
        Assert.Equal(_h.Server.MemberId, cleared.Header.MemberId);
    }

    [Fact]
    public async Task MoveLeader_ToAnUnknownMember_IsABadTransferee()
    {
        AssertStatus(StatusCode.FailedPrecondition, "etcdserver: bad leader transferee",
            await FailsWith(() => _h.Maintenance.MoveLeaderAsync(new MoveLeaderRequest { TargetID = 42 }).ResponseAsync));
    }

    [Fact]
    public async Task MemberList_ShowsThisMember_AndLearnersAreRefused()
    {
        MemberListResponse r = await _h.Cluster.MemberListAsync(new MemberListRequest { Linearizable = true });
        Member m = Assert.Single(r.Members);
        Assert.Equal(_h.Server.MemberId, m.ID);
        Assert.Equal("default", m.Name);
        Assert.Equal(_h.Config.InitialAdvertisePeerUrls[0].ToString().TrimEnd('/'), Assert.Single(m.PeerURLs).TrimEnd('/'));
        Assert.Equal(_h.Server.ClusterId, r.Header.ClusterId);
        // DotNext's Raft has no non-voting members (member changes themselves: tests/KvStore.Membership.Tests).
        AssertStatus(StatusCode.FailedPrecondition,
            "etcdserver: learner members are not supported: kvstore's Raft library (DotNext) has no non-voting members; add a voting member instead",
            await FailsWith(() => _h.Cluster.MemberAddAsync(new MemberAddRequest { PeerURLs = { "http://127.0.0.1:1" }, IsLearner = true }).ResponseAsync));
        AssertStatus(StatusCode.FailedPrecondition, "etcdserver: can only promote a learner member",
            await FailsWith(() => _h.Cluster.MemberPromoteAsync(new MemberPromoteRequest { ID = m.ID }).ResponseAsync));
        AssertStatus(StatusCode.NotFound, "etcdserver: member not found",
            await FailsWith(() => _h.Cluster.MemberRemoveAsync(new MemberRemoveRequest { ID = 42 }).ResponseAsync));
    }

    [Fact]
    public async Task Snapshot_IsABoltDatabaseThenItsSha256()
    {
        for (int i = 0; i < 100; i++) await _h.PutAsync($"m/snap/{i:D3}", new string('s', 500));
        using AsyncServerStreamingCall<SnapshotResponse> call = _h.Maintenance.Snapshot(new SnapshotRequest());
        var body = new MemoryStream();
        var chunks = new List<SnapshotResponse>();
        await foreach (SnapshotResponse chunk in call.ResponseStream.ReadAllAsync()) chunks.Add(chunk);
        Assert.True(chunks.Count >= 3); // > 50 KB of data in 32 KiB chunks, then the digest
        Assert.Equal(_h.Server.MemberId, chunks[0].Header.MemberId);
        foreach (SnapshotResponse c in chunks) c.Blob.WriteTo(body);
        byte[] all = body.ToArray();

        // etcdctl's snapshot save: the length is 512 x n + 32, the last 32 bytes the SHA-256 of the rest.
        Assert.Equal(32, all.Length % 512);
        Assert.Equal(32, all.Length % 4096); // whole bbolt pages
        // bbolt's meta page 0: magic 0xED0CDAED, version 2, page size 4096 (etcdctl reads it: tests/KvStore.Etcdctl.Tests/SnapshotBolt*).
        Assert.Equal(0xED0CDAEDu, BitConverter.ToUInt32(all, 16));
        Assert.Equal(2u, BitConverter.ToUInt32(all, 20));
        Assert.Equal(4096u, BitConverter.ToUInt32(all, 24));
        Assert.Equal(SHA256.HashData(all.AsSpan(0, all.Length - 32)), all[^32..]);
        Assert.Equal(0UL, chunks[^1].RemainingBytes);
        Assert.Equal((ulong)(all.Length - 32 - chunks[0].Blob.Length), chunks[0].RemainingBytes);
        for (int i = 0; i < 100; i++) Assert.True(all.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes($"m/snap/{i:D3}")) > 0, $"m/snap/{i:D3} missing");
    }
}
