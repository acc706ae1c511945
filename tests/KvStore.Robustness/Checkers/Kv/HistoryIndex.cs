using KvStore.Robustness.History;

namespace KvStore.Robustness.Checkers.Kv;

/// <summary>A write placed at a revision: its operation and, for a txn, the branch taken.</summary>
internal sealed record PlacedWrite(Operation Operation, long Revision, bool? Branch);

/// <summary>
/// What a history reveals about its revisions. Values are unique per key (the harness writes them so), so every
/// KeyValue anyone saw names the put that wrote it: an acknowledged put must have been seen at its response's
/// revision, and an unanswered put that was seen took effect at the mod revision it was seen with. Revisions no
/// known write claims are gaps: an unseen unanswered write or a lease's deletion happened there.
/// </summary>
internal sealed class HistoryIndex
{
    private readonly Dictionary<(string Key, string Value), List<(Operation Op, bool? Branch)>> _writers = [];
    private readonly Dictionary<(string Key, long Mod), KeyValue> _seen = [];
    private readonly HashSet<(string Key, string Value)> _seenValues = [];

    public HistoryIndex(RecordedHistory history, List<Violation> violations)
    {
        History = history;
        Kv = history.Operations.Where(o => KvOps.IsKv(o.Request)).ToList();
        foreach (var op in Kv)
        {
            foreach (var (put, branch) in KvOps.Puts(op.Request))
            {
                var key = (put.Key, put.Value);
                if (!_writers.TryGetValue(key, out var list))
                {
                    _writers[key] = list = [];
                }
                list.Add((op, branch));
            }
        }
        Universe = BuildUniverse(history);
        ClaimAcknowledged(violations);
        foreach (var (kv, source) in Observations(history))
        {
            Observe(kv, source, violations);
        }
        foreach (var (id, placed) in Placed)
        {
            Claim(placed, violations);
        }
        MaxRevision = Math.Max(1, new[]
        {
            history.Operations.Where(o => o.Outcome == Outcome.Ok).Select(o => o.Response?.Revision ?? 0).DefaultIfEmpty().Max(),
            history.Watches.SelectMany(w => w.Responses).Select(r => r.Revision).DefaultIfEmpty().Max(),
            _seen.Keys.Select(k => k.Mod).DefaultIfEmpty().Max(),
            history.FinalStates.Select(s => s.Revision).DefaultIfEmpty().Max(),
        }.Max());
        Gaps = Enumerable.Range(0, (int)Math.Max(0, MaxRevision - 1)).Select(i => i + 2L).Where(r => !Writes.ContainsKey(r)).ToArray();
    }

    public RecordedHistory History { get; }

    /// <summary>The KV operations (range, put, delete, txn) in invoke order.</summary>
    public List<Operation> Kv { get; }

    /// <summary>Every key the history names or shows, in etcd's (byte) order.</summary>
    public string[] Universe { get; }

    /// <summary>The writes whose revision is known, by revision.</summary>
    public Dictionary<long, PlacedWrite> Writes { get; } = [];

    /// <summary>Unanswered writes that were seen, by operation id.</summary>
    public Dictionary<long, PlacedWrite> Placed { get; } = [];

    public long MaxRevision { get; }

    /// <summary>Revisions in 2..MaxRevision that no known write claims, ascending.</summary>
    public long[] Gaps { get; }

    public int GapsBetween(long lowExclusive, long highExclusive)
    {
        if (highExclusive - lowExclusive <= 1)
        {
            return 0;
        }
        var from = Array.BinarySearch(Gaps, lowExclusive + 1);
        var to = Array.BinarySearch(Gaps, highExclusive);
        return (to < 0 ? ~to : to) - (from < 0 ? ~from : from);
    }

    /// <summary>The KeyValue seen for a key at a mod revision, if any reader saw it.</summary>
    public KeyValue? Seen(string key, long mod) => _seen.GetValueOrDefault((key, mod));

    /// <summary>Whether anyone saw the value on the key.</summary>
    public bool WasSeen(string key, string value) => _seenValues.Contains((key, value));

    /// <summary>The keys of the universe a request may touch (its keys, ranges, both txn branches, compares).</summary>
    public IEnumerable<string> KeysOf(Request request) => request switch
    {
        RangeRequest g => KeysIn(g.Key, g.RangeEnd),
        PutRequest p => [p.Key],
        DeleteRequest d => KeysIn(d.Key, d.RangeEnd),
        TxnRequest t => t.Compares.Select(c => c.Key).Concat(t.Success.Concat(t.Failure).SelectMany(KeysOf)).Distinct(StringComparer.Ordinal),
        _ => [],
    };

    public IEnumerable<string> KeysIn(string key, string? rangeEnd)
    {
        if (string.IsNullOrEmpty(rangeEnd))
        {
            return [key];
        }
        var from = Array.BinarySearch(Universe, key, StringComparer.Ordinal);
        from = from < 0 ? ~from : from;
        return Universe.Skip(from).TakeWhile(k => KvOps.Covers(key, rangeEnd, k));
    }

    private static string[] BuildUniverse(RecordedHistory history)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var op in history.Operations)
        {
            keys.UnionWith(KvOps.NamedKeys(op.Request));
            keys.UnionWith(KvOps.Shown(op.Response).Select(kv => kv.Key));
        }
        keys.UnionWith(history.Watches.SelectMany(w => w.Responses).SelectMany(r => r.Events).Select(e => e.Kv.Key));
        keys.UnionWith(history.FinalStates.SelectMany(s => s.Kvs).Select(kv => kv.Key));
        var sorted = keys.ToArray();
        Array.Sort(sorted, StringComparer.Ordinal);
        return sorted;
    }

    private void ClaimAcknowledged(List<Violation> violations)
    {
        foreach (var op in Kv.Where(o => o.Outcome == Outcome.Ok && KvOps.Bumped(o.Request, o.Response)))
        {
            Claim(new PlacedWrite(op, op.Response!.Revision, (op.Response as TxnResponse)?.Succeeded), violations);
        }
    }

    private void Claim(PlacedWrite write, List<Violation> violations)
    {
        if (Writes.TryGetValue(write.Revision, out var other) && other.Operation.Id != write.Operation.Id)
        {
            violations.Add(Violation.Of("duplicate-revision", $"two writes took effect at revision {write.Revision}", other.Operation, write.Operation));
            return;
        }
        Writes[write.Revision] = write;
    }

    private static IEnumerable<(KeyValue Kv, string Source)> Observations(RecordedHistory history)
    {
        foreach (var op in history.Operations.Where(o => o.Outcome == Outcome.Ok))
        {
            foreach (var kv in KvOps.Shown(op.Response))
            {
                yield return (kv, $"op {op.Id}");
            }
        }
        foreach (var w in history.Watches)
        {
            foreach (var e in w.Responses.SelectMany(r => r.Events))
            {
                if (e.Type == EventType.Put)
                {
                    yield return (e.Kv, $"watch {w.Id}");
                }
                if (e.PrevKv is not null)
                {
                    yield return (e.PrevKv, $"watch {w.Id}");
                }
            }
        }
        foreach (var s in history.FinalStates)
        {
            foreach (var kv in s.Kvs)
            {
                yield return (kv, $"final state of {s.Name}");
            }
        }
    }

    /// <summary>Names the write behind a seen KeyValue and checks the revision it was seen at.</summary>
    private void Observe(KeyValue kv, string source, List<Violation> violations)
    {
        if (_seen.TryGetValue((kv.Key, kv.ModRevision), out var earlier))
        {
            if (earlier != kv)
            {
                violations.Add(new Violation("inconsistent-kv", $"{source} saw {Describe.Kv(kv)} where another reader saw {Describe.Kv(earlier)}", [], [], ""));
            }
            return;
        }
        _seen[(kv.Key, kv.ModRevision)] = kv;
        _seenValues.Add((kv.Key, kv.Value));
        if (!_writers.TryGetValue((kv.Key, kv.Value), out var writers))
        {
            violations.Add(new Violation("phantom-value", $"{source} saw {Describe.Kv(kv)}, a value no request wrote", [], [], ""));
            return;
        }
        if (writers.Count != 1)
        {
            return;
        }
        var (op, branch) = writers[0];
        switch (op.Outcome)
        {
            case Outcome.Failed:
                violations.Add(Violation.Of("failed-write-visible", $"{source} saw {Describe.Kv(kv)} written by a request that failed", op));
                break;
            case Outcome.Ok when op.Response!.Revision != kv.ModRevision || (branch is { } b && ((TxnResponse)op.Response).Succeeded != b):
                violations.Add(Violation.Of("wrong-revision", $"{source} saw {Describe.Kv(kv)}, but its write answered revision {op.Response.Revision}", op));
                break;
            case Outcome.Unknown when Placed.TryGetValue(op.Id, out var placed):
                if (placed.Revision != kv.ModRevision)
                {
                    violations.Add(Violation.Of("inconsistent-revision", $"{source} saw {Describe.Kv(kv)}, but the same write was seen at revision {placed.Revision}", op));
                }
                break;
            case Outcome.Unknown:
                Placed[op.Id] = new PlacedWrite(op, kv.ModRevision, branch);
                break;
        }
    }
}
