using KvStore.Robustness.Checkers.Kv;
using KvStore.Robustness.History;

namespace KvStore.Robustness.Checkers;

/// <summary>
/// Checks each watch against etcd's watch contract: a created response first; events in revision order, none
/// twice, none before the start revision, one revision's events in one response; NoPut/NoDelete honoured;
/// prev_kv present exactly when asked and equal to the key's previous version; a compaction cancels a watch that
/// starts below it; and no gaps: every event the history proves (<see cref="EventLog"/>) on the watched range
/// between the start revision and the last revision received was delivered. A watch resumed at the last received
/// revision + 1 is a watch of its own, so the same rules show that it replays exactly what followed.
/// </summary>
internal static class WatchChecker
{
    public static void Check(HistoryIndex index, EventLog log, List<Violation> violations)
    {
        var compactions = index.History.Operations.Where(o => o.Request is CompactRequest && o.Outcome != Outcome.Failed).ToList();
        foreach (var w in index.History.Watches)
        {
            CheckWatch(w, index, log, compactions, violations);
        }
    }

    private static void CheckWatch(WatchRecord w, HistoryIndex index, EventLog log, List<Operation> compactions, List<Violation> violations)
    {
        void Report(string kind, string message, string excerpt) => violations.Add(Violation.OfWatch(kind, $"watch {w.Id} on {Range(w)}: {message}", w, excerpt));

        if (w.Responses.Count == 0)
        {
            return;
        }
        if (!w.Responses[0].Created || w.Responses.Skip(1).Any(r => r.Created))
        {
            Report("watch-created", "the created response must come first and only once", $"first response: created={w.Responses[0].Created}");
        }
        var start = w.StartRevision > 0 ? w.StartRevision : w.Responses[0].Revision + 1;
        var delivered = new HashSet<(string, long)>();
        long last = 0;
        var canceled = false;
        foreach (var response in w.Responses)
        {
            if (canceled && response.Events.Count > 0)
            {
                Report("watch-after-cancel", "events arrived after the watch was canceled", Describe.Event(response.Events[0]));
            }
            canceled |= response.Canceled;
            if (response.Canceled && response.CompactRevision > 0)
            {
                CheckCompacted(w, response, start, compactions, Report);
            }
            if (response.Events.Count > 0 && response.Events[0].Kv.ModRevision == last)
            {
                Report("watch-split-revision", $"the events of revision {last} came in two responses", Describe.Event(response.Events[0]));
            }
            foreach (var e in response.Events)
            {
                var revision = e.Kv.ModRevision;
                if (revision < last)
                {
                    Report("watch-order", $"revision {revision} came after revision {last}", Describe.Event(e));
                }
                if (!delivered.Add((e.Kv.Key, revision)))
                {
                    Report("watch-duplicate", $"the event of {e.Kv.Key} at revision {revision} came twice", Describe.Event(e));
                }
                if (revision < start)
                {
                    Report("watch-before-start", $"revision {revision} is before the start revision {start}", Describe.Event(e));
                }
                if (revision > response.Revision)
                {
                    Report("watch-header", $"an event of revision {revision} came in a response of header revision {response.Revision}", Describe.Event(e));
                }
                if (!KvOps.Covers(w.Key, w.RangeEnd, e.Kv.Key))
                {
                    Report("watch-range", "an event of a key outside the watched range", Describe.Event(e));
                }
                if ((e.Type == EventType.Put && w.NoPut) || (e.Type == EventType.Delete && w.NoDelete))
                {
                    Report("watch-filter", $"a {e.Type} event came through the {(w.NoPut ? "NoPut" : "NoDelete")} filter", Describe.Event(e));
                }
                CheckEvent(w, e, index, log, compactions, Report);
                last = Math.Max(last, revision);
            }
        }
        CheckBelowCompaction(w, start, compactions, Report);
        foreach (var (revision, key, type) in log.Between(start, last))
        {
            if (KvOps.Covers(w.Key, w.RangeEnd, key) && !(type == EventType.Put ? w.NoPut : w.NoDelete) && !delivered.Contains((key, revision)))
            {
                Report("watch-gap", $"the {type} of {key} at revision {revision} was not delivered (received {start}..{last})", "");
            }
        }
    }

    /// <summary>The event agrees with the write known at its revision, and its prev_kv with the key's previous event.</summary>
    private static void CheckEvent(WatchRecord w, WatchEvent e, HistoryIndex index, EventLog log, List<Operation> compactions, Action<string, string, string> report)
    {
        var revision = e.Kv.ModRevision;
        if (index.Writes.TryGetValue(revision, out var write) && !EventLog.Explains(write, e.Kv.Key, e.Type))
        {
            report("event-mismatch", $"no such event: revision {revision} belongs to op {write.Operation.Id}", Describe.Event(e) + "\n" + Describe.Operation(write.Operation));
        }
        if (e.Type == EventType.Put && (e.Kv.Version == 1) != (e.Kv.CreateRevision == e.Kv.ModRevision))
        {
            report("event-mismatch", "a put's version is 1 exactly when it created the key", Describe.Event(e));
        }
        if (!w.PrevKv)
        {
            if (e.PrevKv is not null)
            {
                report("watch-prev-kv", "prev_kv was not asked for", Describe.Event(e));
            }
            return;
        }
        var created = e.Type == EventType.Put && e.Kv.Version == 1;
        // etcd reads prev_kv at revision - 1 and leaves it out when that revision is compacted.
        var compacted = compactions.Any(c => ((CompactRequest)c.Request).Revision > revision - 1);
        if (created ? e.PrevKv is not null : e.PrevKv is null && !compacted)
        {
            report("watch-prev-kv", created ? "a created key has no previous value" : "prev_kv is missing", Describe.Event(e));
            return;
        }
        if (e.PrevKv is null)
        {
            return;
        }
        var before = log.Before(e.Kv.Key, revision);
        if (e.PrevKv.Key != e.Kv.Key || e.PrevKv.ModRevision >= revision
            || (before is { } b && (b.Revision > e.PrevKv.ModRevision || (b.Revision == e.PrevKv.ModRevision && b.Type == EventType.Delete))))
        {
            report("watch-prev-kv", $"prev_kv is not the key's previous version (last known event: {before?.Type} at {before?.Revision})", Describe.Event(e));
        }
    }

    private static void CheckCompacted(WatchRecord w, WatchResponseRecord response, long start, List<Operation> compactions, Action<string, string, string> report)
    {
        var compacted = response.CompactRevision;
        if (start >= compacted || !compactions.Any(c => ((CompactRequest)c.Request).Revision == compacted && c.Invoke < response.Time))
        {
            report("watch-compaction", $"canceled as compacted at {compacted}, but it started at {start} and no such compaction had been requested", "");
        }
    }

    /// <summary>A watch that starts below a finished compaction is canceled, never fed the compacted revisions.</summary>
    private static void CheckBelowCompaction(WatchRecord w, long start, List<Operation> compactions, Action<string, string, string> report)
    {
        var done = compactions.Where(c => c.Outcome == Outcome.Ok && c.Return < w.Opened).Select(c => ((CompactRequest)c.Request).Revision).DefaultIfEmpty().Max();
        var below = w.Responses.SelectMany(r => r.Events).FirstOrDefault(e => e.Kv.ModRevision < done);
        if (start < done && below is not null)
        {
            report("watch-compaction", $"it started at {start}, below the compaction at {done}, and received compacted revisions", Describe.Event(below));
        }
    }

    private static string Range(WatchRecord w) => w.RangeEnd is null ? w.Key : $"[{w.Key}, {w.RangeEnd})";
}
