using KvStore.Robustness.Checkers.Kv;
using KvStore.Robustness.History;

namespace KvStore.Robustness.Checkers;

/// <summary>
/// Every event of the keyspace the history proves: the puts and deletes of answered writes (their responses name
/// what they deleted), the puts of unanswered writes that were seen, and every event any watch received. Two
/// sources that disagree about a key at a revision are a violation.
/// </summary>
internal sealed class EventLog
{
    private readonly Dictionary<(string Key, long Revision), (EventType Type, string Source)> _events = [];
    private readonly List<(long Revision, string Key)> _ordered = [];
    private readonly Dictionary<string, List<long>> _byKey = new(StringComparer.Ordinal);

    public EventLog(HistoryIndex index, List<Violation> violations)
    {
        foreach (var write in index.Writes.Values)
        {
            foreach (var (key, type) in Effects(write))
            {
                Add(key, write.Revision, type, $"op {write.Operation.Id}", violations);
            }
        }
        foreach (var w in index.History.Watches)
        {
            foreach (var e in w.Responses.SelectMany(r => r.Events))
            {
                Add(e.Kv.Key, e.Kv.ModRevision, e.Type, $"watch {w.Id}", violations);
            }
        }
        _ordered.Sort((a, b) => a.Revision != b.Revision ? a.Revision.CompareTo(b.Revision) : string.CompareOrdinal(a.Key, b.Key));
        foreach (var revisions in _byKey.Values)
        {
            revisions.Sort();
        }
    }

    public EventType? At(string key, long revision) => _events.TryGetValue((key, revision), out var e) ? e.Type : null;

    /// <summary>The events in [from, to], in revision order.</summary>
    public IEnumerable<(long Revision, string Key, EventType Type)> Between(long from, long to)
    {
        int lo = 0, hi = _ordered.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            (lo, hi) = _ordered[mid].Revision < from ? (mid + 1, hi) : (lo, mid);
        }
        for (var i = lo; i < _ordered.Count && _ordered[i].Revision <= to; i++)
        {
            var (revision, key) = _ordered[i];
            yield return (revision, key, _events[(key, revision)].Type);
        }
    }

    /// <summary>The latest event on a key before a revision.</summary>
    public (long Revision, EventType Type)? Before(string key, long revision)
    {
        if (!_byKey.TryGetValue(key, out var revisions))
        {
            return null;
        }
        var i = revisions.BinarySearch(revision);
        i = (i < 0 ? ~i : i) - 1;
        return i < 0 ? null : (revisions[i], _events[(key, revisions[i])].Type);
    }

    /// <summary>Whether a write known at a revision can have produced an event: answered ones exactly, unanswered ones by their requests.</summary>
    public static bool Explains(PlacedWrite write, string key, EventType type)
    {
        if (write.Operation.Outcome == Outcome.Ok)
        {
            return Effects(write).Contains((key, type));
        }
        var branch = write.Operation.Request is TxnRequest t ? KvOps.Branch(t, write.Branch ?? true) : [write.Operation.Request];
        return type == EventType.Put
            ? branch.OfType<PutRequest>().Any(p => p.Key == key)
            : branch.OfType<DeleteRequest>().Any(d => KvOps.Covers(d.Key, d.RangeEnd, key));
    }

    /// <summary>What a write did to each key: answered ones fully, unanswered ones only their puts.</summary>
    public static IEnumerable<(string Key, EventType Type)> Effects(PlacedWrite write)
    {
        var op = write.Operation;
        if (op.Outcome == Outcome.Ok)
        {
            return Answered(op.Request, op.Response);
        }
        var branch = op.Request is TxnRequest t ? KvOps.Branch(t, write.Branch ?? true) : [op.Request];
        return branch.OfType<PutRequest>().Select(p => (p.Key, EventType.Put));
    }

    private static IEnumerable<(string Key, EventType Type)> Answered(Request request, Response? response) => (request, response) switch
    {
        (PutRequest p, _) => [(p.Key, EventType.Put)],
        (DeleteRequest, DeleteResponse d) => d.PrevKvs.Select(kv => (kv.Key, EventType.Delete)),
        (TxnRequest t, TxnResponse tr) => KvOps.Branch(t, tr.Succeeded).Zip(tr.Responses).SelectMany(p => Answered(p.First, p.Second)),
        _ => [],
    };

    private void Add(string key, long revision, EventType type, string source, List<Violation> violations)
    {
        if (_events.TryGetValue((key, revision), out var known))
        {
            if (known.Type != type)
            {
                violations.Add(new Violation("event-mismatch", $"{source} has a {type} of {key} at revision {revision}, {known.Source} a {known.Type}", [], [], ""));
            }
            return;
        }
        _events[(key, revision)] = (type, source);
        _ordered.Add((revision, key));
        if (!_byKey.TryGetValue(key, out var revisions))
        {
            _byKey[key] = revisions = [];
        }
        revisions.Add(revision);
    }
}
