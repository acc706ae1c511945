using KvStore.Robustness.Checkers;
using static KvStore.Robustness.Tests.Checkers.HistoryBuilder;

namespace KvStore.Robustness.Tests.Checkers;

/// <summary>The KV checker catches stale reads, allows what unanswered writes make possible, and judges serializable reads by their revision.</summary>
public sealed class LinearizabilityTests
{
    private static readonly KeyValue V1 = Kv("k", "v1", 2, 2, 1);
    private static readonly KeyValue V2 = Kv("k", "v2", 2, 3, 2);

    private static IReadOnlyList<string> Kinds(HistoryBuilder h) => Checks.Run(h.Build()).Violations.Select(v => v.Kind).ToList();

    [Fact]
    public void A_valid_history_has_no_violation()
    {
        var h = new HistoryBuilder();
        h.Put("k", "v1", 0, 10, 2);
        h.Get("k", 5, 15, 2, V1);
        h.Put("k", "v2", 20, 30, 3);
        h.Get("k", 25, 35, 2, V1);
        h.Get("k", 40, 50, 3, V2);
        Assert.Empty(Kinds(h));
    }

    [Fact]
    public void A_read_of_the_value_before_a_completed_write_is_stale()
    {
        var h = new HistoryBuilder();
        h.Put("k", "v1", 0, 10, 2);
        h.Put("k", "v2", 20, 30, 3);
        var read = h.Get("k", 40, 50, 2, V1);

        var report = Checks.Run(h.Build());

        var violation = Assert.Single(report.Violations);
        Assert.Equal("stale-read", violation.Kind);
        Assert.Contains(read.Id, violation.OperationIds);
    }

    [Fact]
    public void A_stale_value_under_a_current_header_revision_is_caught_by_the_key_search()
    {
        var h = new HistoryBuilder();
        h.Put("k", "v1", 0, 10, 2);
        h.Put("k", "v2", 20, 30, 3);
        h.Get("k", 40, 50, 3, V1);
        Assert.Contains("stale-read", Kinds(h));
    }

    [Fact]
    public void An_unanswered_write_may_not_have_happened_yet()
    {
        var h = new HistoryBuilder();
        h.Put("k", "v1", 0, 10, 2);
        h.PutUnknown("k", "v2", 20, 30);
        h.Get("k", 40, 50, 2, V1);
        h.Get("k", 60, 70, 3, V2);
        Assert.Empty(Kinds(h));
    }

    [Fact]
    public void An_unanswered_write_seen_by_an_earlier_read_makes_the_old_value_stale()
    {
        var h = new HistoryBuilder();
        h.Put("k", "v1", 0, 10, 2);
        h.PutUnknown("k", "v2", 20, 30);
        h.Get("k", 32, 38, 3, V2);
        h.Get("k", 40, 50, 2, V1);
        Assert.Equal(["stale-read"], Kinds(h));
    }

    [Fact]
    public void An_unseen_unanswered_delete_explains_a_missing_key_only_after_it_was_invoked()
    {
        var possible = new HistoryBuilder();
        possible.Put("k", "v1", 0, 10, 2);
        possible.Add(new DeleteRequest("k"), 20, 30, null, Outcome.Unknown);
        possible.Get("k", 40, 50, 3, null);
        Assert.Empty(Kinds(possible));

        var impossible = new HistoryBuilder();
        impossible.Put("k", "v1", 0, 10, 2);
        impossible.Put("x", "x1", 11, 12, 3);
        impossible.Get("k", 14, 16, 3, null);
        impossible.Add(new DeleteRequest("k"), 20, 30, null, Outcome.Unknown);
        Assert.Contains("stale-read", Kinds(impossible));
    }

    [Fact]
    public void A_paused_follower_stale_read_is_a_violation_when_linearizable_and_allowed_when_serializable()
    {
        HistoryBuilder Run(bool serializable, long header)
        {
            var h = new HistoryBuilder();
            h.Put("k", "v1", 0, 10, 2);
            h.Put("k", "v2", 20, 30, 3);
            h.Get("k", 40, 50, header, V1, serializable, member: 2);
            return h;
        }

        Assert.Equal(["stale-read"], Kinds(Run(serializable: false, header: 2)));
        // A serializable read may lag, but it returns exactly the state at the revision it names.
        Assert.Empty(Kinds(Run(serializable: true, header: 2)));
        Assert.Equal(["stale-read"], Kinds(Run(serializable: true, header: 3)));
    }

    [Fact]
    public void A_member_never_answers_serializable_reads_from_an_older_revision_unless_it_restarted()
    {
        var h = new HistoryBuilder();
        h.Put("k", "v1", 0, 10, 2);
        h.Put("k", "v2", 20, 30, 3);
        h.Get("k", 40, 50, 3, V2, serializable: true, member: 2);
        h.Get("k", 60, 70, 2, V1, serializable: true, member: 2);
        Assert.Equal(["serializable-went-back"], Kinds(h));

        h.Fault(new FaultRecord("kill", 1, 55 * 1_000_000, 55 * 1_000_000));
        Assert.Empty(Kinds(h));
    }

    [Fact]
    public void Write_revisions_follow_real_time_and_name_what_readers_see()
    {
        var order = new HistoryBuilder();
        order.Put("a", "1", 0, 10, 3);
        order.Put("b", "1", 20, 30, 2);
        Assert.Contains("revision-order", Kinds(order));

        var twice = new HistoryBuilder();
        twice.Put("a", "1", 0, 10, 2);
        twice.Put("b", "1", 0, 10, 2);
        Assert.Contains("duplicate-revision", Kinds(twice));

        var wrong = new HistoryBuilder();
        wrong.Put("k", "v1", 0, 10, 2);
        wrong.Get("k", 20, 30, 3, Kv("k", "v1", 3, 3, 1));
        Assert.Contains("wrong-revision", Kinds(wrong));
    }

    [Fact]
    public void A_failed_compare_and_set_must_have_seen_a_different_revision()
    {
        var txn = new TxnRequest([new Compare("k", CompareTarget.Mod, CompareResult.Equal, 2)], [new PutRequest("k", "v2")], [new RangeRequest("k")]);
        var h = new HistoryBuilder();
        h.Put("k", "v1", 0, 10, 2);
        h.Add(txn, 20, 30, new TxnResponse(false, [new RangeResponse([V1], 1) { Revision = 2 }]) { Revision = 2 });
        Assert.Contains("linearizability", Kinds(h));
    }

    [Fact]
    public void A_range_sees_every_key_at_its_one_revision()
    {
        var h = new HistoryBuilder();
        h.Put("a", "1", 0, 10, 2);
        h.Put("b", "1", 20, 30, 3);
        h.Add(new RangeRequest("a", "c"), 40, 50, new RangeResponse([Kv("a", "1", 2, 2, 1)], 1) { Revision = 3 });
        Assert.Contains("stale-read", Kinds(h));
    }

    [Fact]
    public void A_replayed_history_file_gives_the_same_report()
    {
        var h = new HistoryBuilder();
        h.Put("k", "v1", 0, 10, 2);
        h.Put("k", "v2", 20, 30, 3);
        h.Get("k", 40, 50, 2, V1);
        var path = Path.GetTempFileName();
        try
        {
            h.Build().Save(path);
            var report = Checks.Replay(path);
            Assert.Equal("stale-read", Assert.Single(report.Violations).Kind);
            Assert.Contains("stale-read", report.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_answered_operation_without_its_response_is_malformed_and_checked_as_unanswered()
    {
        var h = new HistoryBuilder();
        h.Put("k", "v1", 0, 10, 2);
        h.Add(new PutRequest("k", "v2"), 20, 30, new RangeResponse([], 0) { Revision = 3 });
        h.Get("k", 40, 50, 3, V2);
        Assert.Equal(["malformed-history"], Kinds(h));
    }

    [Fact]
    public void A_range_count_that_disagrees_with_its_keys_is_caught()
    {
        var h = new HistoryBuilder();
        h.Put("k", "v1", 0, 10, 2);
        h.Add(new RangeRequest("k"), 20, 30, new RangeResponse([V1], 2) { Revision = 2, Member = 1 }, client: 2);
        h.Add(new RangeRequest("k"), 40, 50, new RangeResponse([V1], 1, More: true) { Revision = 2, Member = 1 }, client: 2);
        h.Add(new RangeRequest("k", "l", Limit: 1), 60, 70, new RangeResponse([V1], 1) { Revision = 2, Member = 1 }, client: 2); // right

        Assert.Equal(["range-count", "range-count"], Kinds(h));
    }
}
