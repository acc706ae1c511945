using Etcdserverpb;
using KvStore.Mvcc.Watch;
using Mvccpb;

namespace KvStore.Mvcc.Tests.Model;

/// <summary>
/// Checks the engine's watch streams against events derived from the reference model's history. Per watcher,
/// the concatenated events received must be exactly the model's events from the watcher's start revision
/// (filters and prev_kv applied), in revision order, and a drained stream must have delivered all of them.
/// A start revision below the compact revision must end the watcher with a compaction notice instead.
/// </summary>
/// <remarks>
/// Two things depend on when the engine reads history, and the checker allows for exactly them (as etcd does):
/// a watcher that reads revision C after compaction at C misses the changes compaction removed there
/// (tombstones, and versions of keys changed again at C) -- certain for a catch-up at creation, possible for a
/// lagging reader; and a prev_kv below the compact revision at delivery time is not available.
/// A lagging watcher may be ended by compaction (with no event lost before the notice).
/// </remarks>
internal sealed class WatchChecker(ReferenceModel model, Func<string> context)
{
    public sealed class StreamState(WatchStream stream, bool eager)
    {
        public WatchStream Stream { get; } = stream;
        public bool Eager { get; } = eager;
        public List<WatcherState> Watchers { get; } = [];
    }

    internal sealed record Expected(Event Event, long Rev, ReferenceModel.Rec Rec);

    public sealed class WatcherState
    {
        public required long Id;
        public required string Description;
        public required byte[] Key;
        public required byte[] RangeEnd;
        public required WatchOptions Options;
        public required bool Eager;
        public required long EffectiveStart;
        public required long CompactAtCreation;
        public required bool ExpectCompacted;
        public readonly List<long> LaterCompactions = [];
        internal readonly List<Expected> Expected = [];
        public int HistoryPos;
        public int Matched;
        public long LastDeliveredRev;
        public bool Cancelled;
        public bool Compacted;
        public int Responses;

        public bool Active => !Cancelled && !Compacted;
    }

    public List<StreamState> Streams { get; } = [];

    public int EventsChecked { get; private set; }

    public int CompactNotices { get; private set; }

    public int WatchersCreated { get; private set; }

    /// <summary>How often the less common paths were taken (to see that a run exercises them).</summary>
    public Dictionary<string, int> Counts { get; } = [];

    private void Count(string what, int n = 1) => Counts[what] = Counts.GetValueOrDefault(what) + n;

    public IEnumerable<WatcherState> Watchers => Streams.SelectMany(s => s.Watchers);

    /// <summary>Registers a watcher the engine created with start revision <paramref name="start"/> (0: next write).</summary>
    public WatcherState Add(StreamState s, long id, byte[] key, byte[] rangeEnd, long start, WatchOptions options, string description)
    {
        long cur = model.CurrentRev;
        bool catchUp = start != 0 && start <= cur;
        var w = new WatcherState
        {
            Id = id,
            Description = description,
            Key = key,
            RangeEnd = rangeEnd,
            Options = options,
            Eager = s.Eager,
            EffectiveStart = catchUp ? start : Math.Max(cur + 1, start),
            CompactAtCreation = model.CompactRev,
            // etcd's chooseAll: a watcher whose next revision is below the compact revision gets the notice.
            ExpectCompacted = catchUp && start < model.CompactRev,
        };
        s.Watchers.Add(w);
        WatchersCreated++;
        return w;
    }

    /// <summary>Tells every live watcher about a compaction (a lagging reader may then miss what it removed).</summary>
    public void OnCompacted(long rev)
    {
        foreach (WatcherState w in Watchers) w.LaterCompactions.Add(rev);
    }

    /// <summary>Appends the model events of revisions not yet looked at to the watcher's expected list.</summary>
    private void Extend(WatcherState w)
    {
        IReadOnlyList<ReferenceModel.Rec> history = model.History;
        for (; w.HistoryPos < history.Count; w.HistoryPos++)
        {
            ReferenceModel.Rec rec = history[w.HistoryPos];
            if (rec.Main < w.EffectiveStart || !ReferenceModel.InRange(rec.Key, w.Key, w.RangeEnd)) continue;
            bool isPut = rec.Kv is not null;
            if ((isPut && w.Options.NoPut) || (!isPut && w.Options.NoDelete)) continue;
            // Catch-up at creation read revision C after compaction at C: what compaction removed is gone.
            if (rec.Main == w.CompactAtCreation && !model.SurvivesCompaction(rec, w.CompactAtCreation))
            {
                Count("watch events removed by compaction");
                continue;
            }

            var ev = new Event
            {
                Type = isPut ? Event.Types.EventType.Put : Event.Types.EventType.Delete,
                Kv = isPut ? rec.Kv!.Clone() : new KeyValue { Key = Google.Protobuf.ByteString.CopyFrom(rec.Key), ModRevision = rec.Main },
            };
            // v3rpc watch.go: prev_kv is read at mod_revision - 1, except for a create event.
            bool create = isPut && rec.Kv!.CreateRevision == rec.Kv.ModRevision;
            if (w.Options.PrevKv && !create && model.Visible(rec.Key, rec.Main - 1) is { } prev) ev.PrevKv = prev.Clone();
            w.Expected.Add(new Expected(ev, rec.Main, rec));
        }
    }

    /// <summary>
    /// Whether a lagging reader may have missed the event: a compaction at its revision since the watcher was
    /// created removed its record. Decided when matching, as the compaction may come after the event was expected.
    /// </summary>
    private bool Optional(WatcherState w, Expected e) =>
        !w.Eager && w.LaterCompactions.Any(c => c == e.Rev && !model.SurvivesCompaction(e.Rec, c));

    private bool Matches(Expected e, Event actual)
    {
        if (e.Event.Type != actual.Type || !e.Event.Kv.Equals(actual.Kv)) return false;
        if (actual.PrevKv is not null) return actual.PrevKv.Equals(e.Event.PrevKv);
        // Missing prev_kv is right only when it was below the compact revision when the event was read.
        if (e.Event.PrevKv is null) return true;
        if (e.Rev - 1 >= model.CompactRev) return false;
        Count("watch prev_kv compacted away");
        return true;
    }

    private void Fail(WatcherState w, string what, WatchResponse? resp = null) =>
        Assert.Fail($"{context()}\nwatcher {w.Id} {w.Description} (eager={w.Eager}, start={w.EffectiveStart}, " +
                    $"compact at creation={w.CompactAtCreation}, compactions since [{string.Join(", ", w.LaterCompactions)}], " +
                    $"compact revision now {model.CompactRev}, current {model.CurrentRev}, matched {w.Matched}/{w.Expected.Count}): {what}" +
                    (resp is null ? "" : $"\nresponse: {Format.Json(resp)}"));

    /// <summary>Checks one response the engine delivered on <paramref name="s"/>.</summary>
    public void OnResponse(StreamState s, WatchResponse resp)
    {
        WatcherState? w = s.Watchers.FirstOrDefault(x => x.Id == resp.WatchId && !x.Compacted);
        if (w is null)
        {
            Assert.Fail($"{context()}\nresponse for unknown or ended watcher {resp.WatchId}: {Format.Json(resp)}");
            return;
        }
        w.Responses++;
        if (resp.CompactRevision != 0)
        {
            // watcher_group.go chooseAll: WatchResponse{WatchID, CompactRevision}, so the header revision is 0.
            if (resp.Events.Count != 0 || resp.Header is { Revision: not 0 }) Fail(w, "compaction notice with events or a header revision", resp);
            if (resp.CompactRevision != model.CompactRev) Fail(w, $"compaction notice names {resp.CompactRevision}, compact revision is {model.CompactRev}", resp);
            if (!w.ExpectCompacted)
            {
                // Only a watcher lagging behind a compaction may be ended by it.
                if (w.Eager) Fail(w, "eagerly read watcher ended by compaction", resp);
                if (w.EffectiveStart >= resp.CompactRevision || w.LastDeliveredRev + 1 >= resp.CompactRevision)
                {
                    Fail(w, $"compaction notice although it had delivered up to {w.LastDeliveredRev}", resp);
                }
            }
            w.Compacted = true;
            CompactNotices++;
            return;
        }
        if (w.ExpectCompacted) Fail(w, "expected a compaction notice first", resp);
        if (resp.Events.Count == 0) Fail(w, "response without events", resp);

        Extend(w);
        foreach (Event actual in resp.Events)
        {
            while (w.Matched < w.Expected.Count && Optional(w, w.Expected[w.Matched]) && !Matches(w.Expected[w.Matched], actual))
            {
                w.Matched++;
                Count("watch events lost to compaction while lagging");
            }
            if (w.Matched >= w.Expected.Count) Fail(w, $"unexpected event {Format.Json(actual)}", resp);
            Expected e = w.Expected[w.Matched];
            if (!Matches(e, actual)) Fail(w, $"event #{w.Matched}\nexpected {Format.Json(e.Event)}\nactual   {Format.Json(actual)}", resp);
            w.Matched++;
            w.LastDeliveredRev = e.Rev;
            EventsChecked++;
        }
        if (resp.Events[0].Kv.ModRevision != resp.Events[^1].Kv.ModRevision) Count("watch catch-up responses over several revisions");
        if (resp.Events[^1].Kv.ModRevision - resp.Events[0].Kv.ModRevision >= 100) Count("watch catch-up responses over 100+ revisions");
        if (resp.Header.Revision < w.LastDeliveredRev || resp.Header.Revision > model.CurrentRev)
        {
            Fail(w, $"header revision {resp.Header.Revision} outside [{w.LastDeliveredRev}, {model.CurrentRev}]", resp);
        }
    }

    /// <summary>Reads up to <paramref name="max"/> responses from the stream; returns how many there were.</summary>
    public int Read(StreamState s, int max = int.MaxValue)
    {
        int n = 0;
        while (n < max && s.Stream.TryRead(out WatchResponse resp))
        {
            OnResponse(s, resp);
            n++;
        }
        return n;
    }

    /// <summary>Drains every stream (catching every watcher up) and checks each live watcher delivered everything.</summary>
    public void DrainAndCheckComplete()
    {
        foreach (StreamState s in Streams)
        {
            Read(s);
            foreach (WatcherState w in s.Watchers.Where(w => w.Active))
            {
                if (w.ExpectCompacted)
                {
                    Fail(w, "no compaction notice after a drain");
                    continue;
                }
                Extend(w);
                while (w.Matched < w.Expected.Count && Optional(w, w.Expected[w.Matched]))
                {
                    w.Matched++;
                    Count("watch events lost to compaction while lagging");
                }
                if (w.Matched != w.Expected.Count)
                {
                    Fail(w, $"drained stream is missing events from {Format.Json(w.Expected[w.Matched].Event)}");
                }
            }
        }
    }
}
