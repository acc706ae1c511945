using KvStore.Robustness.History;

namespace KvStore.Robustness.Checkers.Kv;

/// <summary>
/// What one operation did to one key at a revision. Order: 0 the write of the revision, 1 a revoke (it deleted at
/// its header's revision, or nothing when a write holds that revision), 2 reads (they see the revision's changes).
/// </summary>
internal sealed record KeyItem(long Revision, int Order, Operation? Operation, IReadOnlyList<KeyStep> Steps, WatchRecord? Watch = null)
{
    public long Time => Operation?.Invoke ?? Watch?.Opened ?? 0;
}

/// <summary>
/// An unanswered write nobody saw: it may have taken effect at any gap revision of at least FirstRevision, through
/// one of its Alternatives (a txn's two branches), or never. Bit numbers it among the key's candidates (ascending
/// FirstRevision); candidates of one Group have the same effect on the key.
/// </summary>
internal sealed record KeyCandidate(Operation Operation, int Bit, long FirstRevision, IReadOnlyList<IReadOnlyList<KeyStep>> Alternatives, int Group = 0);

/// <summary>One key's items in revision order and its candidates, built from the whole history.</summary>
internal sealed class KeyTimeline(string key)
{
    public string Key { get; } = key;

    public List<KeyItem> Items { get; } = [];

    public List<KeyCandidate> Candidates { get; } = [];

    /// <summary>Splits the history into one timeline per key of the universe.</summary>
    public static IReadOnlyList<KeyTimeline> Build(HistoryIndex index, RealTimeOrder order)
    {
        var timelines = index.Universe.ToDictionary(k => k, k => new KeyTimeline(k), StringComparer.Ordinal);
        foreach (var op in index.Kv)
        {
            switch (op.Outcome)
            {
                case Outcome.Ok:
                    AddAnswered(op, index, timelines);
                    break;
                case Outcome.Unknown when index.Placed.TryGetValue(op.Id, out var placed):
                    foreach (var key in index.KeysOf(op.Request))
                    {
                        Add(timelines[key], placed.Revision, 0, op, KeySteps.For(op.Request, null, key, placed.Revision, placed.Branch));
                    }
                    break;
                case Outcome.Unknown when KvOps.MayWrite(op.Request):
                    AddCandidate(op, index, order, timelines);
                    break;
            }
        }
        AddRevokes(index, timelines);
        AddWatchEvents(index, timelines);
        foreach (var t in timelines.Values)
        {
            NumberCandidates(t);
            t.Items.Sort((a, b) => a.Revision != b.Revision ? a.Revision.CompareTo(b.Revision)
                : a.Order != b.Order ? a.Order.CompareTo(b.Order) : a.Time.CompareTo(b.Time));
        }
        return timelines.Values.Where(t => t.Items.Count > 0).ToList();
    }

    private static void AddAnswered(Operation op, HistoryIndex index, Dictionary<string, KeyTimeline> timelines)
    {
        var bumped = KvOps.Bumped(op.Request, op.Response);
        // A read of an old revision sees that revision; anything else sees (or creates) its header's revision.
        var revision = op.Request is RangeRequest { Revision: > 0 } g ? g.Revision : op.Response!.Revision;
        foreach (var key in index.KeysOf(op.Request))
        {
            Add(timelines[key], revision, bumped ? 0 : 2, op, KeySteps.For(op.Request, op.Response, key, revision, null));
        }
    }

    private static void AddCandidate(Operation op, HistoryIndex index, RealTimeOrder order, Dictionary<string, KeyTimeline> timelines)
    {
        var first = order.FirstRevisionAfter(op.Invoke);
        foreach (var key in index.KeysOf(op.Request))
        {
            IEnumerable<IReadOnlyList<KeyStep>> alternatives = op.Request is TxnRequest
                ? [KeySteps.For(op.Request, null, key, KeyState.Unknown, true), KeySteps.For(op.Request, null, key, KeyState.Unknown, false)]
                : [KeySteps.For(op.Request, null, key, KeyState.Unknown, null)];
            // A put nobody saw can only count in versions: its value is one unseen value, so such puts are interchangeable.
            var effective = alternatives.Where(a => a.Any(s => s is PutStep or DeleteStep))
                .Select(a => (IReadOnlyList<KeyStep>)a.Select(s => s is PutStep p && !index.WasSeen(key, p.Value) ? p with { Value = KeyState.UnseenValue } : s).ToList())
                .ToList();
            if (effective.Count > 0)
            {
                var t = timelines[key];
                t.Candidates.Add(new KeyCandidate(op, t.Candidates.Count, first, effective));
            }
        }
    }

    /// <summary>
    /// Orders candidates by FirstRevision and groups those with the same effect: one that can act before an item can
    /// act before every later item too, so within a group the search only tries the first unused one.
    /// </summary>
    private static void NumberCandidates(KeyTimeline t)
    {
        var groups = new Dictionary<string, int>(StringComparer.Ordinal);
        var ordered = t.Candidates.OrderBy(c => c.FirstRevision).ToList();
        t.Candidates.Clear();
        foreach (var c in ordered)
        {
            var signature = string.Join(" | ", c.Alternatives.Select(a => string.Join("; ", a.Select(Signature))));
            if (!groups.TryGetValue(signature, out var group))
            {
                groups[signature] = group = groups.Count;
            }
            t.Candidates.Add(c with { Bit = t.Candidates.Count, Group = group });
        }
    }

    private static string Signature(KeyStep step) => step is GuardStep g
        ? $"guard {g.AllHold} {string.Join(", ", g.Compares)}"
        : step.ToString();

    /// <summary>An acknowledged revoke deleted its lease's keys at its header's revision.</summary>
    private static void AddRevokes(HistoryIndex index, Dictionary<string, KeyTimeline> timelines)
    {
        var leased = index.Kv.SelectMany(o => KvOps.Puts(o.Request)).Where(p => p.Put.Lease != 0)
            .GroupBy(p => p.Put.Lease).ToDictionary(g => g.Key, g => g.Select(p => p.Put.Key).Distinct(StringComparer.Ordinal).ToList());
        foreach (var op in index.History.Operations.Where(o => o.Outcome == Outcome.Ok && o.Request is LeaseRevokeRequest))
        {
            var lease = ((LeaseRevokeRequest)op.Request).Id;
            foreach (var key in leased.GetValueOrDefault(lease, []))
            {
                Add(timelines[key], op.Response!.Revision, 1, op, [new RevokeStep(lease)]);
            }
        }
    }

    /// <summary>A watch event shows the key's state at its revision: the put's KeyValue, or absent after a delete.</summary>
    private static void AddWatchEvents(HistoryIndex index, Dictionary<string, KeyTimeline> timelines)
    {
        var seen = new HashSet<(string, long)>();
        foreach (var w in index.History.Watches)
        {
            foreach (var e in w.Responses.SelectMany(r => r.Events).Where(e => seen.Add((e.Kv.Key, e.Kv.ModRevision))))
            {
                var steps = new KeyStep[] { new ExpectStep(e.Type == EventType.Put ? e.Kv : null, $"watch {w.Id} {e.Type} event") };
                timelines[e.Kv.Key].Items.Add(new KeyItem(e.Kv.ModRevision, 2, null, steps, w));
            }
        }
    }

    private static void Add(KeyTimeline t, long revision, int order, Operation op, List<KeyStep> steps)
    {
        if (steps.Count > 0)
        {
            t.Items.Add(new KeyItem(revision, order, op, steps));
        }
    }
}
