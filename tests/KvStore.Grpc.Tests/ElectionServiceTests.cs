using Etcdserverpb;
using Grpc.Core;
using V3electionpb;
using static KvStore.Grpc.Tests.GrpcHost;

namespace KvStore.Grpc.Tests;

/// <summary>etcd's v3election service (v3election/election.go over concurrency.Election) through a real gRPC channel to a real member.</summary>
public sealed class ElectionServiceTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private readonly GrpcHost _h = fixture.Host;

    private Task<CampaignResponse> CampaignAsync(string name, long lease, string value) =>
        _h.Election.CampaignAsync(new CampaignRequest { Name = B(name), Lease = lease, Value = B(value) }).ResponseAsync;

    private Task<LeaderResponse> LeaderAsync(string name) => _h.Election.LeaderAsync(new LeaderRequest { Name = B(name) }).ResponseAsync;

    private Task<ResignResponse> ResignAsync(LeaderKey leader) => _h.Election.ResignAsync(new ResignRequest { Leader = leader }).ResponseAsync;

    private Task<ProclaimResponse> ProclaimAsync(LeaderKey leader, string value) =>
        _h.Election.ProclaimAsync(new ProclaimRequest { Leader = leader, Value = B(value) }).ResponseAsync;

    [Fact]
    public async Task Campaign_Uncontended_LeadsAtOnce()
    {
        long lease = await _h.GrantAsync();
        CampaignResponse won = await CampaignAsync("el/solo", lease, "v1");
        Assert.Equal("el/solo", won.Leader.Name.ToStringUtf8());
        Assert.Equal($"el/solo/{lease:x}", won.Leader.Key.ToStringUtf8());
        Assert.Equal(lease, won.Leader.Lease);
        Assert.Equal(won.Header.Revision, won.Leader.Rev); // the candidate's create revision

        LeaderResponse leader = await LeaderAsync("el/solo");
        Assert.Equal(won.Leader.Key, leader.Kv.Key);
        Assert.Equal("v1", leader.Kv.Value.ToStringUtf8());
        Assert.Equal(won.Leader.Rev, leader.Kv.CreateRevision);
        Assert.Equal(lease, leader.Kv.Lease);
        Assert.Equal(_h.Server.Store.CurrentRevision, leader.Header.Revision);

        await ResignAsync(won.Leader);
        AssertStatus(StatusCode.Unknown, "election: no leader", await FailsWith(() => LeaderAsync("el/solo")));
    }

    [Fact]
    public async Task ASecondCandidate_LeadsOnceTheFirstResigns()
    {
        long a = await _h.GrantAsync(), b = await _h.GrantAsync();
        CampaignResponse first = await CampaignAsync("el/pair", a, "a");
        Task<CampaignResponse> second = CampaignAsync("el/pair", b, "b");
        await AssertPendingAsync(second);
        Assert.Equal("a", (await LeaderAsync("el/pair")).Kv.Value.ToStringUtf8());

        ResignResponse resigned = await ResignAsync(first.Leader);
        CampaignResponse won = await WithinAsync(second);
        Assert.Equal($"el/pair/{b:x}", won.Leader.Key.ToStringUtf8());
        Assert.True(won.Leader.Rev < resigned.Header.Revision);
        Assert.Equal("b", (await LeaderAsync("el/pair")).Kv.Value.ToStringUtf8());
        await ResignAsync(won.Leader);
    }

    [Fact]
    public async Task RevokingTheLeadersLease_ElectsTheNextCandidate()
    {
        long a = await _h.GrantAsync(), b = await _h.GrantAsync();
        await CampaignAsync("el/revoke", a, "a");
        Task<CampaignResponse> second = CampaignAsync("el/revoke", b, "b");
        await AssertPendingAsync(second);
        await _h.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = a });
        CampaignResponse won = await WithinAsync(second);
        Assert.Equal("b", (await LeaderAsync("el/revoke")).Kv.Value.ToStringUtf8());
        await ResignAsync(won.Leader);
    }

    [Fact]
    public async Task Proclaim_ByTheLeader_SetsTheValue_ByAnyoneElse_IsNotLeader()
    {
        long lease = await _h.GrantAsync();
        CampaignResponse won = await CampaignAsync("el/proclaim", lease, "v1");
        ProclaimResponse proclaimed = await ProclaimAsync(won.Leader, "v2");
        LeaderResponse leader = await LeaderAsync("el/proclaim");
        Assert.Equal("v2", leader.Kv.Value.ToStringUtf8());
        Assert.Equal(proclaimed.Header.Revision, leader.Kv.ModRevision);
        Assert.Equal(won.Leader.Rev, leader.Kv.CreateRevision);

        LeaderKey stale = won.Leader.Clone();
        stale.Rev--;
        AssertStatus(StatusCode.Unknown, "election: not leader", await FailsWith(() => ProclaimAsync(stale, "v3")));
        // Resigning with a stale key deletes nothing.
        await ResignAsync(stale);
        Assert.Equal("v2", (await LeaderAsync("el/proclaim")).Kv.Value.ToStringUtf8());

        await ResignAsync(won.Leader);
        AssertStatus(StatusCode.Unknown, "election: not leader", await FailsWith(() => ProclaimAsync(won.Leader, "v4")));
    }

    [Fact]
    public async Task CampaigningAgainWithTheSameLease_KeepsItsPlaceAndTakesTheNewValue()
    {
        long lease = await _h.GrantAsync();
        CampaignResponse first = await CampaignAsync("el/again", lease, "v1");
        CampaignResponse again = await WithinAsync(CampaignAsync("el/again", lease, "v2"));
        Assert.Equal(first.Leader, again.Leader);
        Assert.Equal(first.Header.Revision, again.Header.Revision); // the header of the txn that found the key, as etcd's
        Assert.Equal("v2", (await LeaderAsync("el/again")).Kv.Value.ToStringUtf8());
        await ResignAsync(again.Leader);
    }

    [Fact]
    public async Task Observe_StreamsEachLeaderAndTheValuesItProclaims()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using AsyncServerStreamingCall<LeaderResponse> observe = _h.Election.Observe(new LeaderRequest { Name = B("el/observe") }, cancellationToken: cts.Token);
        IAsyncStreamReader<LeaderResponse> stream = observe.ResponseStream;
        Task<bool> next = stream.MoveNext(cts.Token);
        await AssertPendingAsync(next); // nobody campaigns yet

        long a = await _h.GrantAsync(), b = await _h.GrantAsync();
        CampaignResponse first = await CampaignAsync("el/observe", a, "a1");
        Assert.True(await next);
        Assert.Equal(("a1", first.Leader.Rev), (stream.Current.Kv.Value.ToStringUtf8(), stream.Current.Kv.CreateRevision));
        Assert.Equal(first.Header.Revision, stream.Current.Header.Revision);

        ProclaimResponse proclaimed = await ProclaimAsync(first.Leader, "a2");
        Assert.True(await stream.MoveNext(cts.Token));
        Assert.Equal("a2", stream.Current.Kv.Value.ToStringUtf8());
        Assert.Equal(proclaimed.Header.Revision, stream.Current.Header.Revision);

        Task<CampaignResponse> second = CampaignAsync("el/observe", b, "b1");
        await AssertPendingAsync(second);
        await ResignAsync(first.Leader);
        CampaignResponse won = await WithinAsync(second);
        Assert.True(await stream.MoveNext(cts.Token));
        Assert.Equal(won.Leader.Key, stream.Current.Kv.Key);
        Assert.Equal("b1", stream.Current.Kv.Value.ToStringUtf8());
        await ResignAsync(won.Leader);
    }

    [Fact]
    public async Task Observe_OfAnElectionWithALeader_StartsWithIt()
    {
        long lease = await _h.GrantAsync();
        CampaignResponse won = await CampaignAsync("el/observe2", lease, "x");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using AsyncServerStreamingCall<LeaderResponse> observe = _h.Election.Observe(new LeaderRequest { Name = B("el/observe2") }, cancellationToken: cts.Token);
        Assert.True(await observe.ResponseStream.MoveNext(cts.Token));
        Assert.Equal(won.Leader.Key, observe.ResponseStream.Current.Kv.Key);
        Assert.Equal(_h.Server.Store.CurrentRevision, observe.ResponseStream.Current.Header.Revision);
        await ResignAsync(won.Leader);
    }

    [Fact]
    public async Task Errors_ComeBackAsEtcdsElectionServerSendsThem()
    {
        AssertStatus(StatusCode.Unknown, "election: no leader", await FailsWith(() => LeaderAsync("el/nobody")));
        AssertStatus(StatusCode.Unknown, "\"leader\" field must be provided",
            await FailsWith(() => _h.Election.ProclaimAsync(new ProclaimRequest { Value = B("x") }).ResponseAsync));
        AssertStatus(StatusCode.Unknown, "\"leader\" field must be provided",
            await FailsWith(() => _h.Election.ResignAsync(new ResignRequest()).ResponseAsync));
        AssertStatus(StatusCode.Unknown, "etcdserver: requested lease not found", await FailsWith(() => CampaignAsync("el/errors", 0x7778, "v")));
    }

    [Fact]
    public async Task Campaign_WithoutALease_GrantsASixtySecondLease()
    {
        CampaignResponse won = await CampaignAsync("el/nolease", 0, "v");
        Assert.NotEqual(0, won.Leader.Lease);
        Assert.Equal($"el/nolease/{won.Leader.Lease:x}", won.Leader.Key.ToStringUtf8());
        LeaseTimeToLiveResponse ttl = await _h.Lease.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = won.Leader.Lease });
        Assert.Equal(60, ttl.GrantedTTL);
        await _h.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = won.Leader.Lease });
    }
}
