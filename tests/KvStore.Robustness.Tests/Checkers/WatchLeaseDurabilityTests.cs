using KvStore.Robustness.Checkers;
using static KvStore.Robustness.Tests.Checkers.HistoryBuilder;

namespace KvStore.Robustness.Tests.Checkers;

/// <summary>The watch, lease and durability checkers report each broken rule and nothing on a correct history.</summary>
public sealed class WatchLeaseDurabilityTests
{
    private static readonly KeyValue A1 = Kv("a", "1", 2, 2, 1);
    private static readonly KeyValue A2 = Kv("a", "2", 2, 3, 2);
    private static readonly KeyValue A3 = Kv("a", "3", 2, 4, 3);

    private static IReadOnlyList<string> Kinds(HistoryBuilder h) => Checks.Run(h.Build()).Violations.Select(v => v.Kind).Distinct().ToList();

    private static HistoryBuilder ThreePuts()
    {
        var h = new HistoryBuilder();
        h.Put("a", "1", 0, 10, 2);
        h.Put("a", "2", 20, 30, 3);
        h.Put("a", "3", 40, 50, 4);
        return h;
    }

    private static WatchEvent Put(KeyValue kv, KeyValue? prev = null) => new(EventType.Put, kv, prev);

    [Fact]
    public void A_complete_watch_is_accepted()
    {
        var h = ThreePuts();
        h.Watch("a", 2, prevKv: true, responses: [Events(3, Put(A1), Put(A2, A1)), Events(4, Put(A3, A2))]);
        h.Final("m1", 4, 7, [A3]);
        h.Final("m2", 4, 7, [A3]);
        Assert.Empty(Kinds(h));
    }

    [Fact]
    public void A_missing_event_is_a_gap()
    {
        var h = ThreePuts();
        h.Watch("a", 2, responses: [Events(2, Put(A1)), Events(4, Put(A3))]);
        Assert.Equal(["watch-gap"], Kinds(h));
    }

    [Fact]
    public void An_event_delivered_twice_is_a_duplicate()
    {
        var h = ThreePuts();
        h.Watch("a", 2, responses: [Events(2, Put(A1)), Events(3, Put(A2)), Events(3, Put(A2))]);
        Assert.Contains("watch-duplicate", Kinds(h));
    }

    [Fact]
    public void A_revision_split_across_responses_is_reported()
    {
        var h = new HistoryBuilder();
        h.Add(new TxnRequest([], [new PutRequest("a", "1"), new PutRequest("b", "1")], []), 0, 10,
            new TxnResponse(true, [new PutResponse(null) { Revision = 2 }, new PutResponse(null) { Revision = 2 }]) { Revision = 2 });
        h.Watch("a", 2, rangeEnd: "c", responses: [Events(2, Put(A1)), Events(2, Put(Kv("b", "1", 2, 2, 1)))]);
        Assert.Equal(["watch-split-revision"], Kinds(h));
    }

    [Fact]
    public void A_prev_kv_that_is_not_the_previous_version_is_wrong()
    {
        var h = ThreePuts();
        h.Watch("a", 3, prevKv: true, responses: [Events(3, Put(A2, A1)), Events(4, Put(A3, A1))]);
        Assert.Equal(["watch-prev-kv"], Kinds(h));
    }

    [Fact]
    public void A_delete_through_a_no_delete_filter_is_reported()
    {
        var h = new HistoryBuilder();
        h.Put("a", "1", 0, 10, 2);
        h.Add(new DeleteRequest("a"), 20, 30, new DeleteResponse(1, [A1]) { Revision = 3 });
        h.Watch("a", 2, noDelete: true, responses: [Events(2, Put(A1)), Events(3, new WatchEvent(EventType.Delete, Kv("a", "", 0, 3, 0)))]);
        Assert.Equal(["watch-filter"], Kinds(h));
    }

    [Fact]
    public void An_acknowledged_write_missing_from_a_member_is_lost()
    {
        var h = ThreePuts();
        h.Final("m1", 4, 7, [A3]);
        h.Final("m2", 4, 7, [A2]);
        Assert.Contains("lost-write", Kinds(h));

        var missing = ThreePuts();
        missing.Final("m1", 4, 7, []);
        Assert.Equal(["lost-write"], Kinds(missing));
    }

    [Fact]
    public void Members_with_different_hashes_at_one_revision_are_reported()
    {
        var h = ThreePuts();
        h.Final("m1", 4, 7, [A3]);
        h.Final("m2", 4, 8, [A3]);
        Assert.Equal(["hash-mismatch"], Kinds(h));
    }

    [Fact]
    public void A_key_of_a_revoked_lease_must_be_gone_and_its_keep_alive_answers_not_found()
    {
        var h = new HistoryBuilder();
        h.Add(new LeaseGrantRequest(60, 7), 0, 5, new LeaseGrantResponse(7, 60) { Revision = 1 });
        h.Put("a", "1", 10, 20, 2, lease: 7);
        h.Add(new LeaseRevokeRequest(7), 30, 40, new LeaseRevokeResponse { Revision = 3 });
        h.Final("m1", 3, 7, []);
        Assert.Empty(Kinds(h));

        h.Add(new LeaseKeepAliveRequest(7), 50, 60, new LeaseKeepAliveResponse(7, 60) { Revision = 3 });
        h.Final("m2", 3, 7, [Kv("a", "1", 2, 2, 1, 7)]);
        var kinds = Kinds(h);
        Assert.Contains("lease-key-survived", kinds);
        Assert.Contains("keepalive-after-revoke", kinds);
    }

    [Fact]
    public void A_lease_deletes_all_its_keys_at_one_revision()
    {
        var h = new HistoryBuilder();
        h.Add(new LeaseGrantRequest(1, 7), 0, 5, new LeaseGrantResponse(7, 1) { Revision = 1 });
        h.Put("a", "1", 10, 20, 2, lease: 7);
        h.Put("b", "1", 21, 30, 3, lease: 7);
        WatchEvent Deleted(string key, long revision, KeyValue prev) => new(EventType.Delete, Kv(key, "", 0, revision, 0), prev);
        h.Watch("a", 2, prevKv: true, rangeEnd: "c", responses:
        [
            Events(3, Put(Kv("a", "1", 2, 2, 1, 7)), Put(Kv("b", "1", 3, 3, 1, 7))),
            Events(4, Deleted("a", 4, Kv("a", "1", 2, 2, 1, 7))),
            Events(5, Deleted("b", 5, Kv("b", "1", 3, 3, 1, 7))),
        ]);
        Assert.Contains("lease-split-deletion", Kinds(h));
    }

    [Fact]
    public void A_resumed_watch_replays_exactly_what_followed_its_last_revision()
    {
        var h = ThreePuts();
        h.Watch("a", 2, responses: [Events(2, Put(A1))]);
        h.Watch("a", 3, responses: [Events(3, Put(A2)), Events(4, Put(A3))]);
        Assert.Empty(Kinds(h));

        var skipped = ThreePuts();
        skipped.Watch("a", 2, responses: [Events(2, Put(A1))]);
        skipped.Watch("a", 3, responses: [Events(4, Put(A3))]);
        Assert.Equal(["watch-gap"], Kinds(skipped));

        var replayed = ThreePuts();
        replayed.Watch("a", 2, responses: [Events(2, Put(A1))]);
        replayed.Watch("a", 3, responses: [Events(2, Put(A1)), Events(3, Put(A2))]);
        Assert.Equal(["watch-before-start"], Kinds(replayed));
    }

    [Fact]
    public void An_event_that_disagrees_with_the_key_history_is_reported()
    {
        var h = ThreePuts();
        h.Watch("a", 2, responses: [Events(2, Put(A1)), Events(3, Put(A2)), Events(4, Put(A3 with { Version = 2 }))]);
        Assert.Contains("watch-event-mismatch", Kinds(h));
    }

    [Fact]
    public void A_watch_below_a_compaction_is_canceled_with_the_compact_revision()
    {
        var h = ThreePuts();
        h.Add(new CompactRequest(3), 55, 60, new CompactResponse { Revision = 4 });
        h.Watch("a", 2, opened: 70, responses: [Compacted(75, 4, 3)]);
        Assert.Empty(Kinds(h));

        var fed = ThreePuts();
        fed.Add(new CompactRequest(3), 55, 60, new CompactResponse { Revision = 4 });
        fed.Watch("a", 2, opened: 70, responses: [Events(4, Put(A1), Put(A2), Put(A3))]);
        Assert.Equal(["watch-compaction"], Kinds(fed));

        var early = ThreePuts();
        early.Watch("a", 2, opened: 70, responses: [Compacted(75, 4, 3)]);
        Assert.Equal(["watch-compaction"], Kinds(early));
    }

    [Fact]
    public void A_read_below_a_compaction_fails_and_only_then()
    {
        var h = ThreePuts();
        h.Add(new CompactRequest(3), 55, 60, new CompactResponse { Revision = 4 });
        h.Add(new RangeRequest("a", Revision: 2), 70, 80, new RangeResponse([A1], 1) { Revision = 4 });
        Assert.Equal(["read-below-compaction"], Kinds(h));

        var spurious = ThreePuts();
        spurious.Add(new RangeRequest("a", Revision: 2), 70, 80, null, Outcome.Failed,
            error: "OutOfRange: etcdserver: mvcc: required revision has been compacted");
        Assert.Equal(["spurious-compacted"], Kinds(spurious));
    }
}
