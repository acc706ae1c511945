using Etcdserverpb;
using Grpc.Core;
using static KvStore.Grpc.Tests.GrpcHost;

namespace KvStore.Grpc.Tests;

/// <summary>etcd's Lease service (v3rpc/lease.go) through a real gRPC channel to a real member.</summary>
public sealed class LeaseServiceTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private readonly GrpcHost _h = fixture.Host;

    [Fact]
    public async Task Grant_WithoutAnId_PicksPositiveDistinctIds()
    {
        LeaseGrantResponse a = await _h.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 60 });
        LeaseGrantResponse b = await _h.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 60 });
        Assert.True(a.ID > 0 && b.ID > 0);
        Assert.NotEqual(a.ID, b.ID);
        Assert.True(a.ID > 1 << 16, "ids come from the member id and the clock, as etcd's, not 1, 2, 3"); // etcd's reqIDGen
        Assert.Equal(60, a.TTL);
        Assert.Equal(_h.Server.MemberId, a.Header.MemberId);
    }

    [Fact]
    public void GeneratedIds_CarryTheMemberIdAndCount()
    {
        var gen = new LeaseIdGenerator(0x8e9e05c52164694dUL, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        long first = gen.Next();
        Assert.Equal(first + 1, gen.Next());
        Assert.Equal(0x694dL, first >> 48); // the member id's low 16 bits lead, as etcd's idutil
    }

    [Fact]
    public async Task Grant_TtlBelowTheMinimum_IsRaised()
    {
        LeaseGrantResponse r = await _h.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 1 });
        Assert.Equal(_h.Config.MinLeaseTtlSeconds, r.TTL);
    }

    [Fact]
    public async Task Grant_Errors()
    {
        await _h.Lease.LeaseGrantAsync(new LeaseGrantRequest { ID = 777, TTL = 30 });
        AssertStatus(StatusCode.FailedPrecondition, "etcdserver: lease already exists",
            await FailsWith(() => _h.Lease.LeaseGrantAsync(new LeaseGrantRequest { ID = 777, TTL = 30 }).ResponseAsync));
        AssertStatus(StatusCode.OutOfRange, "etcdserver: too large lease TTL",
            await FailsWith(() => _h.Lease.LeaseGrantAsync(new LeaseGrantRequest { ID = 778, TTL = 9_000_000_001 }).ResponseAsync));
    }

    [Fact]
    public async Task Revoke_DeletesTheLeasesKeys_AndAMissingLeaseIsNotFound()
    {
        long id = (await _h.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 60 })).ID;
        await _h.PutAsync("lease/revoke/a", "1", id);
        LeaseRevokeResponse r = await _h.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = id });
        Assert.Equal(_h.Server.Store.CurrentRevision, r.Header.Revision);
        Assert.Empty((await _h.Kv.RangeAsync(new RangeRequest { Key = B("lease/revoke/a") })).Kvs);
        AssertStatus(StatusCode.NotFound, "etcdserver: requested lease not found",
            await FailsWith(() => _h.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = id }).ResponseAsync));
    }

    [Fact]
    public async Task TimeToLive_WithKeys_AndMinusOneForAMissingLease()
    {
        long id = (await _h.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 100 })).ID;
        await _h.PutAsync("lease/ttl/a", "1", id);
        LeaseTimeToLiveResponse r = await _h.Lease.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = id, Keys = true });
        Assert.Equal(id, r.ID);
        Assert.Equal(100, r.GrantedTTL);
        Assert.InRange(r.TTL, 95, 100);
        Assert.Equal(["lease/ttl/a"], r.Keys.Select(k => k.ToStringUtf8()));
        Assert.Equal(_h.Server.MemberId, r.Header.MemberId);

        // etcd's v3rpc answers a missing lease with TTL -1, not an error.
        LeaseTimeToLiveResponse missing = await _h.Lease.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = 99_999 });
        Assert.Equal(-1, missing.TTL);
        Assert.Equal(99_999, missing.ID);
        Assert.Equal(_h.Server.MemberId, missing.Header.MemberId);
    }

    [Fact]
    public async Task Leases_ListsEveryLease()
    {
        long id = (await _h.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 60 })).ID;
        LeaseLeasesResponse r = await _h.Lease.LeaseLeasesAsync(new LeaseLeasesRequest());
        Assert.Contains(r.Leases, l => l.ID == id);
        Assert.Equal(_h.Server.ClusterId, r.Header.ClusterId);
    }

    [Fact]
    public async Task KeepAlive_RenewsOverOneStream_AndAnswersTtlZeroForAMissingLease()
    {
        long id = (await _h.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 20 })).ID;
        using AsyncDuplexStreamingCall<LeaseKeepAliveRequest, LeaseKeepAliveResponse> call = _h.Lease.LeaseKeepAlive();
        for (int i = 0; i < 3; i++)
        {
            await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = id });
            Assert.True(await call.ResponseStream.MoveNext());
            Assert.Equal(id, call.ResponseStream.Current.ID);
            Assert.Equal(20, call.ResponseStream.Current.TTL);
            Assert.Equal(_h.Server.MemberId, call.ResponseStream.Current.Header.MemberId);
        }
        await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = 31_337 });
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal(31_337, call.ResponseStream.Current.ID);
        Assert.Equal(0, call.ResponseStream.Current.TTL);
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext());
    }
}
