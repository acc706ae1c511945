using Etcdserverpb;
using Grpc.Core;
using V3lockpb;
using static KvStore.Grpc.Tests.GrpcHost;

namespace KvStore.Grpc.Tests;

/// <summary>etcd's v3lock service (v3lock/lock.go over concurrency.Mutex) through a real gRPC channel to a real member.</summary>
public sealed class LockServiceTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private readonly GrpcHost _h = fixture.Host;

    private Task<LockResponse> LockAsync(string name, long lease, CancellationToken ct = default) =>
        _h.Lock.LockAsync(new LockRequest { Name = B(name), Lease = lease }, cancellationToken: ct).ResponseAsync;

    private Task<UnlockResponse> UnlockAsync(LockResponse held) => _h.Lock.UnlockAsync(new UnlockRequest { Key = held.Key }).ResponseAsync;

    /// <summary>Waits until <paramref name="count"/> waiters have their key under the lock's prefix.</summary>
    private async Task WaitersAsync(string name, int count)
    {
        for (int i = 0; i < 200 && (await _h.PrefixAsync(name + "/")).Count < count; i++) await Task.Delay(25);
        Assert.Equal(count, (await _h.PrefixAsync(name + "/")).Count);
    }

    [Fact]
    public async Task Lock_Uncontended_HoldsTheKeyNamedAfterTheLease()
    {
        long lease = await _h.GrantAsync();
        LockResponse held = await LockAsync("lock/free", lease);
        Assert.Equal($"lock/free/{lease:x}", held.Key.ToStringUtf8());
        Mvccpb.KeyValue kv = Assert.Single(await _h.PrefixAsync("lock/free/"));
        Assert.Equal(lease, kv.Lease);
        Assert.Equal(kv.CreateRevision, held.Header.Revision); // the revision of the put that took it, as etcd's
        Assert.Equal(_h.Server.MemberId, held.Header.MemberId);
        Assert.True(kv.Value.IsEmpty);

        // The same lease asks again while it holds the lock: the same key, at once.
        LockResponse again = await WithinAsync(LockAsync("lock/free", lease));
        Assert.Equal(held.Key, again.Key);

        UnlockResponse unlocked = await UnlockAsync(held);
        Assert.Equal(_h.Server.Store.CurrentRevision, unlocked.Header.Revision);
        Assert.Empty(await _h.PrefixAsync("lock/free/"));
    }

    [Fact]
    public async Task Lock_IsMutuallyExclusive_BetweenTwoClients()
    {
        using var channel = global::Grpc.Net.Client.GrpcChannel.ForAddress(_h.Address);
        var other = new V3lockpb.Lock.LockClient(channel);
        long a = await _h.GrantAsync(), b = await _h.GrantAsync();
        LockResponse heldByA = await LockAsync("lock/mutex", a);
        Task<LockResponse> waitingB = other.LockAsync(new LockRequest { Name = B("lock/mutex"), Lease = b }).ResponseAsync;
        await AssertPendingAsync(waitingB, 500);

        UnlockResponse released = await UnlockAsync(heldByA);
        LockResponse heldByB = await WithinAsync(waitingB);
        Assert.Equal($"lock/mutex/{b:x}", heldByB.Key.ToStringUtf8());
        Assert.True(heldByB.Header.Revision >= released.Header.Revision);
        await UnlockAsync(heldByB);
    }

    [Fact]
    public async Task Unlock_HandsTheLockToTheWaitersInTheOrderTheyCame()
    {
        long a = await _h.GrantAsync(), b = await _h.GrantAsync(), c = await _h.GrantAsync();
        LockResponse heldByA = await LockAsync("lock/queue", a);
        Task<LockResponse> waitingB = LockAsync("lock/queue", b);
        await WaitersAsync("lock/queue", 2);
        Task<LockResponse> waitingC = LockAsync("lock/queue", c);
        await WaitersAsync("lock/queue", 3);
        await AssertPendingAsync(Task.WhenAny(waitingB, waitingC));

        await UnlockAsync(heldByA);
        LockResponse heldByB = await WithinAsync(waitingB);
        Assert.Equal($"lock/queue/{b:x}", heldByB.Key.ToStringUtf8());
        await AssertPendingAsync(waitingC);

        await UnlockAsync(heldByB);
        LockResponse heldByC = await WithinAsync(waitingC);
        Assert.Equal($"lock/queue/{c:x}", heldByC.Key.ToStringUtf8());
        await UnlockAsync(heldByC);
    }

    [Fact]
    public async Task RevokingTheHoldersLease_ReleasesTheLock()
    {
        long a = await _h.GrantAsync(), b = await _h.GrantAsync();
        await LockAsync("lock/revoke", a);
        Task<LockResponse> waitingB = LockAsync("lock/revoke", b);
        await AssertPendingAsync(waitingB);
        await _h.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = a });
        LockResponse heldByB = await WithinAsync(waitingB);
        Assert.Equal($"lock/revoke/{b:x}", Assert.Single(await _h.PrefixAsync("lock/revoke/")).Key.ToStringUtf8());
        await UnlockAsync(heldByB);
    }

    [Fact]
    public async Task TheHoldersLeaseExpiring_ReleasesTheLock()
    {
        long a = await _h.GrantAsync(_h.Config.MinLeaseTtlSeconds), b = await _h.GrantAsync();
        await LockAsync("lock/expire", a);
        Task<LockResponse> waitingB = LockAsync("lock/expire", b);
        await AssertPendingAsync(waitingB, 200); // the lease lasts at least its TTL of 1 s
        LockResponse heldByB = await WithinAsync(waitingB, 20);
        Assert.Equal($"lock/expire/{b:x}", Assert.Single(await _h.PrefixAsync("lock/expire/")).Key.ToStringUtf8());
        await UnlockAsync(heldByB);
    }

    [Fact]
    public async Task AWaiterWhoseLeaseIsRevoked_GetsSessionExpired()
    {
        long a = await _h.GrantAsync(), b = await _h.GrantAsync();
        LockResponse heldByA = await LockAsync("lock/lost", a);
        Task<LockResponse> waitingB = LockAsync("lock/lost", b);
        await WaitersAsync("lock/lost", 2);
        await _h.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = b });
        await AssertPendingAsync(waitingB); // it still waits for the holder
        await UnlockAsync(heldByA);
        AssertStatus(StatusCode.Unknown, "session expired", await FailsWith(() => WithinAsync(waitingB)));
    }

    [Fact]
    public async Task AWaiterThatGivesUp_LeavesTheQueue()
    {
        long a = await _h.GrantAsync(), b = await _h.GrantAsync();
        LockResponse heldByA = await LockAsync("lock/cancel", a);
        Status status = await FailsWith(() => _h.Lock.LockAsync(new LockRequest { Name = B("lock/cancel"), Lease = b },
            deadline: DateTime.UtcNow.AddMilliseconds(500)).ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, status.StatusCode);
        // Its key is deleted once the member sees the call end.
        for (int i = 0; i < 200 && (await _h.PrefixAsync("lock/cancel/")).Count > 1; i++) await Task.Delay(25);
        Assert.Equal(heldByA.Key, Assert.Single(await _h.PrefixAsync("lock/cancel/")).Key);
    }

    [Fact]
    public async Task Lock_WithoutALease_GrantsASixtySecondLease()
    {
        LockResponse held = await LockAsync("lock/nolease", 0);
        Mvccpb.KeyValue kv = Assert.Single(await _h.PrefixAsync("lock/nolease/"));
        Assert.NotEqual(0, kv.Lease);
        Assert.Equal($"lock/nolease/{kv.Lease:x}", held.Key.ToStringUtf8());
        LeaseTimeToLiveResponse ttl = await _h.Lease.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = kv.Lease });
        Assert.Equal(60, ttl.GrantedTTL);
        await _h.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = kv.Lease });
    }

    [Fact]
    public async Task Errors_ComeBackAsEtcdsLockServerSendsThem()
    {
        // etcd's lock server returns its client's errors, which gRPC sends as Unknown with etcd's message.
        AssertStatus(StatusCode.Unknown, "etcdserver: requested lease not found", await FailsWith(() => LockAsync("lock/errors", 0x7777)));
        AssertStatus(StatusCode.Unknown, "etcdserver: key is not provided",
            await FailsWith(() => _h.Lock.UnlockAsync(new UnlockRequest()).ResponseAsync));
        // Unlocking a key nobody holds is a delete of nothing.
        UnlockResponse r = await _h.Lock.UnlockAsync(new UnlockRequest { Key = B("lock/errors/none") });
        Assert.Equal(_h.Server.Store.CurrentRevision, r.Header.Revision);
    }
}
