using KvStore.Robustness.Checkers;
using Xunit.Abstractions;

namespace KvStore.Robustness.Tests.Checkers;

/// <summary>
/// The checker's model is etcd's: a history recorded from real etcd 3.4 checks clean, and so must kvstore's (the
/// same traffic, without faults: revisions of deletes of nothing, txn branches, revokes, compactions and reads at a
/// revision, prev_kv, watch batches).
/// </summary>
public sealed class RealServerTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("etcd")]
    [InlineData("kvstore")]
    public async Task A_history_recorded_from_the_server_has_no_violation(string server)
    {
        using var member = server == "etcd" ? SingleMember.StartEtcd(tmpfs: true) : SingleMember.StartKvStore(tmpfs: true);

        var history = await new RecordedTraffic(member.ClientUrl, 7).RunAsync(clients: 4, operationsPerClient: 150);
        var report = Checks.Run(history);

        output.WriteLine(report.ToString());
        var watch = history.Watches.Single();
        // A watch that falls behind a compaction is cancelled with its compact revision (etcd does so on a loaded
        // machine); that end is checked too, any other must come after the traffic's events.
        bool compactedAway = watch.Responses.LastOrDefault() is { Canceled: true, CompactRevision: > 0 };
        Assert.True(compactedAway || watch.Responses.Sum(r => r.Events.Count) > 100, $"the watch ended early: {watch.Responses.LastOrDefault()}");
        Assert.Contains(history.Operations, o => o.Request is CompactRequest && o.Outcome == Outcome.Ok);
        Assert.Contains(history.Operations, o => o.Request is RangeRequest { Revision: > 0 } && o.Outcome == Outcome.Ok);
        Assert.Contains(history.Operations, o => o.Request is LeaseRevokeRequest && o.Outcome == Outcome.Ok);
        Assert.True(report.Ok, report.ToString());
    }
}
