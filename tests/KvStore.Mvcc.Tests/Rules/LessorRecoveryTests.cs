using Etcdserverpb;
using KvStore.Server.Apply;
using static KvStore.Mvcc.Tests.Rules.RuleStore;

namespace KvStore.Mvcc.Tests.Rules;

/// <summary>
/// Rules of the lessor as a component of its own (etcd's lease.lessor next to mvcc): its leases come back from their
/// records at open and the attachments from the replayed history; its log commands obey the consistent index like
/// every write; keep-alive takes only the lessor's lock.
/// </summary>
public sealed class LessorRecoveryTests : IDisposable
{
    private readonly RuleStore _s = new();

    public void Dispose() => _s.Dispose();

    private static string[] Keys(MvccStore store, long id) =>
        [.. store.Lessor.Lookup(id)!.Value.Keys.Select(k => System.Text.Encoding.UTF8.GetString(k))];

    [Fact]
    public void LeasesAndTheirKeysSurviveAReopen()
    {
        _s.Grant(5, 60);
        _s.Grant(6, 60);
        _s.Put("a", "1", lease: 5);
        _s.Put("b", "1", lease: 5);
        _s.Put("c", "1", lease: 6);
        _s.Put("b", "2", lease: 6); // moves b from lease 5 to 6
        _s.Delete("c");
        _s.Store.LeaseCheckpoint(new LeaseCheckpointRequest { Checkpoints = { new LeaseCheckpoint { ID = 6, RemainingTTL = 17 } } });

        _s.Reopen();

        Assert.Equal(["a"], Keys(_s.Store, 5));
        Assert.Equal(["b"], Keys(_s.Store, 6));
        Assert.Equal(17, _s.Store.Lessor.Lookup(6)!.Value.RemainingTtl);
        long rev = _s.Rev;
        Assert.True(_s.Store.LeaseRevoke(5).Ok); // the recovered attachment is what the revoke deletes
        Assert.Equal(rev + 1, _s.Rev);
        Assert.Equal("b=2", string.Join(",", _s.Get("\0", "\0").Kvs.Select(kv => $"{kv.Key.ToStringUtf8()}={kv.Value.ToStringUtf8()}")));
    }

    [Fact]
    public void ARevokeReplayedAtAnAppliedIndexDeletesNothing()
    {
        Assert.True(_s.Store.LeaseGrant(new LeaseGrantRequest { ID = 9, TTL = 60 }, index: 1).Ok);
        Assert.True(KvApplier.Put(_s.Store, PutReq("k", "v", 9), index: 2).Ok);
        Assert.True(_s.Store.LeaseRevoke(9, index: 3).Ok);
        Assert.True(_s.Store.LeaseGrant(new LeaseGrantRequest { ID = 9, TTL = 60 }, index: 4).Ok);
        Assert.True(KvApplier.Put(_s.Store, PutReq("k", "w", 9), index: 5).Ok);
        long rev = _s.Rev;

        Assert.Equal(MvccError.AlreadyApplied, _s.Store.LeaseRevoke(9, index: 3).Error);

        Assert.Equal(rev, _s.Rev);
        Assert.Equal(5, _s.Store.ConsistentIndex);
        Assert.Equal("w", _s.One("k")!.Value.ToStringUtf8());
        Assert.Equal(["k"], Keys(_s.Store, 9));
    }

    [Fact]
    public void KeepAliveAndTimeToLiveDoNotWaitForTheEnginesWriter()
    {
        _s.Grant(3, 60);
        long renewed = 0, granted = 0;
        var other = new Thread(() =>
        {
            renewed = _s.Store.Lessor.Renew(3, 1_000).Value.TTL;
            granted = _s.Store.Lessor.TimeToLive(new LeaseTimeToLiveRequest { ID = 3 }, 1_000).Value.GrantedTTL;
        });
        using (TxnWrite tx = _s.Store.BeginWrite(0)) // the engine's write lock, held by this thread
        {
            other.Start();
            Assert.True(other.Join(TimeSpan.FromSeconds(30)), "renew waited for the open write transaction");
        }
        Assert.Equal(60, renewed);
        Assert.Equal(60, granted);
    }
}
