using Etcdserverpb;
using KvStore.Mvcc.Watch;
using static KvStore.Mvcc.Tests.Rules.RuleStore;

namespace KvStore.Mvcc.Tests.Rules;

/// <summary>etcd lease rules (lease/lessor.go Grant/Revoke/Attach, etcdserver/v3_server.go LeaseTimeToLive).</summary>
public sealed class LeaseTests : IDisposable
{
    private readonly RuleStore _s = new(minLeaseTtl: 5);

    public void Dispose() => _s.Dispose();

    private static LeaseGrantRequest GrantReq(long id, long ttl) => new() { ID = id, TTL = ttl };

    [Theory]
    [InlineData(10, 10)]
    [InlineData(5, 5)]
    [InlineData(4, 5)] // etcd lessor.Grant: a TTL below minLeaseTTL is raised to it
    [InlineData(0, 5)]
    public void Grant_WithIdAndTtl_RaisesTtlToMinimum(long ttl, long granted)
    {
        LeaseGrantResponse r = _s.Store.LeaseGrant(GrantReq(42, ttl)).Value;
        Assert.Equal(42, r.ID);
        Assert.Equal(granted, r.TTL);
        Assert.Equal(granted, _s.Store.Lessor.TimeToLive(new LeaseTimeToLiveRequest { ID = 42 }, 0).Value.GrantedTTL);
    }

    [Fact]
    public void Grant_SameIdTwice_IsLeaseExists()
    {
        // etcd lessor.Grant: an id in use is ErrLeaseExists.
        _ = _s.Store.LeaseGrant(GrantReq(42, 10)).Value;
        Assert.Equal(MvccError.LeaseExists, _s.Store.LeaseGrant(GrantReq(42, 20)).Error);
        Assert.Equal(10, _s.Store.Lessor.Lookup(42)!.Value.Ttl);
    }

    [Theory]
    [InlineData(9_000_000_000, MvccError.None)]
    [InlineData(9_000_000_001, MvccError.LeaseTtlTooLarge)] // etcd MaxLeaseTTL = 9,000,000,000 s
    public void Grant_TtlAboveMax_IsLeaseTtlTooLarge(long ttl, MvccError expected)
    {
        Assert.Equal(expected, _s.Store.LeaseGrant(GrantReq(1, ttl)).Error);
    }

    [Fact]
    public void Grant_DoesNotBumpTheRevision()
    {
        // etcd: lease grant is not an mvcc write; the revision stays.
        _ = _s.Store.LeaseGrant(GrantReq(1, 10)).Value;
        Assert.Equal(1, _s.Rev);
    }

    [Fact]
    public void Revoke_DeletesEveryAttachedKey_InOneRevision()
    {
        // etcd lessor.Revoke: one txn deleting every attached key (sorted), so one revision and one watch response.
        _s.Grant(1, 60);
        _s.Put("c", "1", lease: 1); // 2
        _s.Put("a", "1", lease: 1); // 3
        _s.Put("b", "1"); // 4, not leased
        _s.Put("d", "1", lease: 1); // 5
        using WatchStream ws = _s.Store.NewWatchStream();
        _ = ws.Watch(B("\0").Span, B("\0").Span, 0).Value;
        _ = _s.Store.LeaseRevoke(1).Value;
        Assert.Equal(6, _s.Rev);
        Assert.Equal("b", Keys(_s.Get("\0", "\0")));
        Assert.True(ws.TryRead(out WatchResponse resp));
        Assert.Equal("DEL a,DEL c,DEL d", Keys(resp.Events));
        Assert.All(resp.Events, e => Assert.Equal(6, e.Kv.ModRevision));
        Assert.False(ws.TryRead(out _));
        Assert.Null(_s.Store.Lessor.Lookup(1));
        Assert.Equal(MvccError.LeaseNotFound, _s.Store.LeaseRevoke(1).Error);
    }

    [Fact]
    public void Revoke_WithoutKeys_DoesNotBumpTheRevision()
    {
        // etcd lessor.Revoke: the delete txn has no changes, so currentRev stays.
        _s.Grant(1, 60);
        _ = _s.Store.LeaseRevoke(1).Value;
        Assert.Equal(1, _s.Rev);
    }

    [Fact]
    public void Revoke_SkipsKeysDeletedOrMovedMeanwhile()
    {
        // etcd: delete and put-with-another-lease detach keys, so revoke deletes only what is still attached.
        _s.Grant(1, 60);
        _s.Grant(2, 60);
        _s.Put("a", "1", lease: 1);
        _s.Put("b", "1", lease: 1);
        _s.Put("c", "1", lease: 1);
        _s.Delete("a");
        _s.Put("b", "2", lease: 2);
        _ = _s.Store.LeaseRevoke(1).Value;
        Assert.Equal("b", Keys(_s.Get("\0", "\0")));
    }

    [Fact]
    public void AttachAndDetach_OnPut()
    {
        // etcd: put with a lease attaches; a later put with another (or no) lease detaches from the old one;
        // a delete detaches.
        _s.Grant(1, 60);
        _s.Put("a", "1", lease: 1);
        _s.Put("b", "1", lease: 1);
        _s.Put("c", "1", lease: 1);
        _s.Put("a", "2");
        _s.Delete("b");
        LeaseTimeToLiveResponse r = _s.Store.Lessor.TimeToLive(new LeaseTimeToLiveRequest { ID = 1, Keys = true }, 0).Value;
        Assert.Equal(["c"], r.Keys.Select(k => k.ToStringUtf8()));
    }

    [Fact]
    public void LeaseLeases_ListsEveryLease()
    {
        // etcd LeaseLeases: every lease the lessor holds (revoked ones gone).
        _s.Grant(3, 60);
        _s.Grant(1, 60);
        _s.Grant(2, 60);
        _ = _s.Store.LeaseRevoke(2).Value;
        Assert.Equal([1L, 3L], _s.Store.Lessor.Leases().Leases.Select(l => l.ID).Order());
    }

    [Theory]
    [InlineData(1000, 10)]
    [InlineData(4000, 7)] // granted at 1000 with TTL 10: at 4000, 7 s remain
    [InlineData(4999, 6)] // etcd reports whole seconds, truncated
    [InlineData(10_999, 0)]
    [InlineData(20_000, 0)]
    public void TimeToLive_RemainingTtl_FromNowMs(long nowMs, long remaining)
    {
        _s.Grant(9, 10, nowMs: 1000);
        _s.Put("k", "v", lease: 9);
        LeaseTimeToLiveResponse r = _s.Store.Lessor.TimeToLive(new LeaseTimeToLiveRequest { ID = 9, Keys = true }, nowMs).Value;
        Assert.Equal(9, r.ID);
        Assert.Equal(remaining, r.TTL);
        Assert.Equal(10, r.GrantedTTL);
        Assert.Equal(["k"], r.Keys.Select(k => k.ToStringUtf8()));
        Assert.Empty(_s.Store.Lessor.TimeToLive(new LeaseTimeToLiveRequest { ID = 9 }, nowMs).Value.Keys); // keys only on request
    }

    [Fact]
    public void TimeToLive_UnknownLease_IsLeaseNotFound()
    {
        // etcd v3_server LeaseTimeToLive: lessor.Lookup nil -> ErrLeaseNotFound.
        Assert.Equal(MvccError.LeaseNotFound, _s.Store.Lessor.TimeToLive(new LeaseTimeToLiveRequest { ID = 5 }, 0).Error);
    }

    [Fact]
    public void ExpiredLeases_AtNowMs()
    {
        // etcd lessor: a lease is expired once now reaches its expiry (granted + TTL); soonest first.
        _s.Grant(1, 10, nowMs: 1000); // expires 11,000
        _s.Grant(2, 6, nowMs: 2000); // expires 8,000
        _s.Grant(3, 60, nowMs: 0); // expires 60,000
        Assert.Empty(_s.Store.Lessor.Expired(7_999));
        Assert.Equal([2L], _s.Store.Lessor.Expired(8_000));
        Assert.Equal([2L, 1L], _s.Store.Lessor.Expired(11_000));
        Assert.Equal([2L], _s.Store.Lessor.Expired(11_000, max: 1));
        // keep-alive restarts the countdown
        _ = _s.Store.Lessor.Renew(2, 9_000).Value;
        Assert.Equal([1L], _s.Store.Lessor.Expired(11_000));
    }

    [Fact]
    public void Checkpoint_RecordsRemainingTtl_AndIgnoresUnknownLeases()
    {
        // etcd lessor.Checkpoint: sets remainingTTL of a lease it knows and silently skips one it does not
        // (revoked between the leader scheduling the checkpoint and applying it); the rest of the batch applies.
        _s.Grant(1, 60);
        _s.Grant(2, 60);
        var req = new LeaseCheckpointRequest
        {
            Checkpoints =
            {
                new LeaseCheckpoint { ID = 1, RemainingTTL = 40 },
                new LeaseCheckpoint { ID = 99, RemainingTTL = 10 },
                new LeaseCheckpoint { ID = 2, RemainingTTL = 30 },
            },
        };
        Assert.True(_s.Store.LeaseCheckpoint(req).Ok);
        Assert.Equal(40, _s.Store.Lessor.Lookup(1)!.Value.RemainingTtl);
        Assert.Equal(30, _s.Store.Lessor.Lookup(2)!.Value.RemainingTtl);
        Assert.Null(_s.Store.Lessor.Lookup(99));
        // a new leader counts down from the checkpointed rest (etcd Promote -> refresh uses RemainingTTL)
        _s.Store.Lessor.Promote(1000);
        Assert.Equal(30, _s.Store.Lessor.TimeToLive(new LeaseTimeToLiveRequest { ID = 2 }, 1000).Value.TTL);
    }

    [Fact]
    public void Leases_SurviveReopen()
    {
        // etcd lessor.initAndRecover: leases and their attached keys are rebuilt from the backend.
        _s.Grant(1, 60);
        _s.Grant(2, 30);
        _s.Put("a", "1", lease: 1);
        _s.Put("b", "1", lease: 2);
        _s.Put("c", "1", lease: 2);
        _ = _s.Store.LeaseRevoke(1).Value;
        _s.Reopen();
        Assert.Equal([2L], _s.Store.Lessor.Leases().Leases.Select(l => l.ID));
        LeaseTimeToLiveResponse r = _s.Store.Lessor.TimeToLive(new LeaseTimeToLiveRequest { ID = 2, Keys = true }, 0).Value;
        Assert.Equal(30, r.GrantedTTL);
        Assert.Equal(["b", "c"], r.Keys.Select(k => k.ToStringUtf8()));
        // and revoking after the reopen still deletes the keys
        _ = _s.Store.LeaseRevoke(2).Value;
        Assert.Empty(_s.Get("\0", "\0").Kvs);
    }

    [Fact]
    public void LeaseGrantedLast_SurvivesCleanClose()
    {
        // etcd lessor.Grant persists the lease in the backend at once.
        // Dispose() takes a final checkpoint: a lease granted after the last data write must not be lost.
        _s.Put("a", "1");
        _s.Grant(7, 60);
        _s.Reopen();
        Assert.NotNull(_s.Store.Lessor.Lookup(7));
    }
}
