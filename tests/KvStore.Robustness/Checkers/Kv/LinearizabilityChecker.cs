using System.Collections.Concurrent;
using KvStore.Robustness.History;

namespace KvStore.Robustness.Checkers.Kv;

/// <summary>
/// Checks a history's KV operations against etcd's KV model (mvcc in etcd 3.4): one global revision that each
/// write txn raises by one (a delete of nothing raises nothing), each key's create/mod revision, version and lease,
/// txn compares and branches, reads at a revision, compaction.
/// <para>
/// The global revision makes per-key partitioning sound once every write has a revision: acknowledged writes
/// carry theirs in the response header, and because values are unique a seen value names its write, so an
/// unanswered write that anyone saw took effect at the mod revision it was seen with (<see cref="HistoryIndex"/>).
/// What is left is checked in two parts. (1) Real time (<see cref="RealTimeOrder"/>): each answered operation sits
/// at its revision; none may sit before an operation that returned before it was invoked. (2) Per key
/// (<see cref="KeySearch"/>): each key's writes and reads, in revision order, must replay through the model; what a
/// read at revision R sees is exactly the writes at revisions up to R. The revisions no known write claims (gaps)
/// are where unseen unanswered writes or lease expiries may have acted: the per-key search tries them there, WGL
/// style, caching visited configurations. A multi-key range or txn is checked on every key it touches at its one
/// revision, so the keys agree with each other through the revision. Compares across several keys of a failed txn
/// and the one-gap-per-write limit across keys are relaxed (a missed violation, never a false one).
/// </para>
/// Serializable reads need not be linearizable: they are checked to return exactly the state at their header
/// revision, never to go back in time on the member that answered them (unless a fault restarted members in
/// between), and to bound later operations (the revision they saw was committed when they returned).
/// </summary>
internal static class LinearizabilityChecker
{
    /// <summary>Configurations one key's search may visit before it reports the key inconclusive.</summary>
    public const int Budget = 500_000;

    private static readonly string[] RestartKinds = ["kill", "kill-leader", "restart-snapshot", "remove-readd", "crash-save"];

    public static void Check(HistoryIndex index, List<Violation> violations)
    {
        var history = index.History;
        var order = new RealTimeOrder(index);
        order.Check(index, violations);
        CheckGaps(index, violations);
        CheckCompaction(index, violations);
        CheckSerializableMonotonic(history, index, violations);
        violations.AddRange(SearchKeys(KeyTimeline.Build(index, order), index));
    }

    /// <summary>Every revision is explained: by a known write, an unanswered write, or one lease's deletion.</summary>
    private static void CheckGaps(HistoryIndex index, List<Violation> violations)
    {
        var unseen = index.Kv.Count(o => o.Outcome == Outcome.Unknown && KvOps.MayWrite(o.Request) && !index.Placed.ContainsKey(o.Id));
        var leases = index.History.Operations.Count(o => o.Request is LeaseGrantRequest && o.Outcome != Outcome.Failed);
        if (index.Gaps.Length > unseen + leases)
        {
            violations.Add(new Violation("unexplained-revisions",
                $"{index.Gaps.Length} revisions up to {index.MaxRevision} belong to no known write, more than the {unseen} unanswered writes and {leases} leases can explain (first: {string.Join(", ", index.Gaps.Take(5))})",
                [], [], ""));
        }
    }

    /// <summary>A read below a compaction that completed before it fails with ErrCompacted, and only then.</summary>
    private static void CheckCompaction(HistoryIndex index, List<Violation> violations)
    {
        var compactions = index.History.Operations.Where(o => o.Request is CompactRequest && o.Outcome != Outcome.Failed).ToList();
        foreach (var read in index.Kv.Where(o => o.Request is RangeRequest { Revision: > 0 }))
        {
            var revision = ((RangeRequest)read.Request).Revision;
            if (read.Outcome == Outcome.Ok
                && compactions.FirstOrDefault(c => c.Outcome == Outcome.Ok && c.Return < read.Invoke && ((CompactRequest)c.Request).Revision > revision) is { } done)
            {
                violations.Add(Violation.Of("read-below-compaction", $"a read of revision {revision} succeeded after a compaction above it", done, read));
            }
            if (read.Outcome == Outcome.Failed && (read.Error ?? "").Contains("compacted", StringComparison.OrdinalIgnoreCase)
                && !compactions.Any(c => c.Invoke < read.Return && ((CompactRequest)c.Request).Revision > revision))
            {
                violations.Add(Violation.Of("spurious-compacted", $"a read of revision {revision} failed as compacted, but no compaction above it had been requested", read));
            }
        }
    }

    /// <summary>A member applies its log in order: its serializable reads never see an older revision than before.</summary>
    private static void CheckSerializableMonotonic(RecordedHistory history, HistoryIndex index, List<Violation> violations)
    {
        var restarts = history.Faults.Where(f => RestartKinds.Contains(f.Kind)).Select(f => f.Start).Order().ToArray();
        var reads = index.Kv.Where(o => o.Outcome == Outcome.Ok && o.Request is RangeRequest { Serializable: true, Revision: 0 });
        foreach (var member in reads.GroupBy(o => (o.Response!.Member, Epoch(restarts, o.Invoke))))
        {
            Operation? latest = null;
            var byInvoke = member.OrderBy(o => o.Invoke).ToList();
            var byReturn = member.OrderBy(o => o.Return).ToList();
            var r = 0;
            foreach (var op in byInvoke)
            {
                for (; r < byReturn.Count && byReturn[r].Return < op.Invoke; r++)
                {
                    if (latest is null || byReturn[r].Response!.Revision > latest.Response!.Revision)
                    {
                        latest = byReturn[r];
                    }
                }
                if (latest is not null && latest.Response!.Revision > op.Response!.Revision)
                {
                    violations.Add(Violation.Of("serializable-went-back",
                        $"member {op.Response.Member:x} answered revision {op.Response.Revision} after it had answered {latest.Response.Revision}", latest, op));
                }
            }
        }
    }

    private static int Epoch(long[] restarts, long time)
    {
        var i = Array.BinarySearch(restarts, time);
        return i < 0 ? ~i : i + 1;
    }

    /// <summary>Searches every key on two big-stack threads (the search recurses once per item of a key).</summary>
    private static List<Violation> SearchKeys(IReadOnlyList<KeyTimeline> timelines, HistoryIndex index)
    {
        var queue = new ConcurrentQueue<KeyTimeline>(timelines.OrderByDescending(t => t.Items.Count));
        var found = new ConcurrentBag<Violation>();
        var threads = Enumerable.Range(0, Math.Max(1, Math.Min(Environment.ProcessorCount, 4))).Select(_ => new Thread(() =>
        {
            while (queue.TryDequeue(out var t))
            {
                if (new KeySearch(t, index, Budget).Run() is { } v)
                {
                    found.Add(v);
                }
            }
        }, 512 * 1024 * 1024)).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return found.OrderBy(v => v.OperationIds.FirstOrDefault()).ToList();
    }
}
