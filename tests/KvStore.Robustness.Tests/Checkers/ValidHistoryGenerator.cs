namespace KvStore.Robustness.Tests.Checkers;

/// <summary>
/// Generates a linearizable history: concurrent clients whose operations take effect on an etcd-like model at a
/// point between invoke and return, in that points' order; some answers are lost (Unknown), half of those after
/// taking effect. A watch over every key records each revision's events.
/// </summary>
internal sealed class ValidHistoryGenerator(int seed, int clients, int operations, int keys, double unknown)
{
    private const long Ms = 1_000_000;
    private readonly Random _random = new(seed);
    private readonly Dictionary<string, KeyValue> _store = new(StringComparer.Ordinal);
    private readonly HashSet<long> _leases = [];
    private readonly List<WatchEvent> _events = [];
    private long _revision = 1;
    private long _nextLease = 100;

    public RecordedHistory Generate()
    {
        var slots = new List<(int Client, long Invoke, long Point, long Return)>();
        for (var c = 0; c < clients; c++)
        {
            var t = (long)_random.Next(0, 1000) * 1000;
            for (var i = 0; i < operations / clients; i++)
            {
                var point = t + _random.Next(50, 2000) * 1000L;
                var end = point + _random.Next(50, 2000) * 1000L;
                slots.Add((c, t, point, end));
                t = end + _random.Next(0, 500) * 1000L;
            }
        }
        var ops = new List<Operation>();
        long id = 0;
        foreach (var (client, invoke, _, end) in slots.OrderBy(s => s.Point))
        {
            var lost = _random.NextDouble() < unknown;
            var (request, response) = Next(lost && _random.Next(2) == 0);
            ops.Add(new Operation
            {
                Client = client, Id = ++id, Request = request, Invoke = invoke, Return = lost ? end + (100 * Ms) : end,
                Outcome = lost ? Outcome.Unknown : Outcome.Ok, Response = lost ? null : response, Error = lost ? "DeadlineExceeded" : null,
            });
        }
        var final = _store.Values.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        return new RecordedHistory
        {
            Members = 3,
            ElectionTimeoutMs = 1000,
            Operations = ops.OrderBy(o => o.Invoke).ToList(),
            Watches = [Watch()],
            FinalStates = Enumerable.Range(1, 3).Select(m => new MemberState($"m{m}", $"http://m{m}", _revision, 0, 42, final, _leases.ToList())).ToList(),
        };
    }

    private string Key() => $"k{_random.Next(keys):D3}";

    /// <summary>The next request and, applied to the model unless it is lost before taking effect, its response.</summary>
    private (Request, Response) Next(bool skip)
    {
        var key = Key();
        var roll = _random.Next(100);
        Request request = roll switch
        {
            < 35 => new PutRequest(key, $"v{_revision}-{_random.Next()}", _leases.Count > 0 && _random.Next(20) == 0 ? _leases.First() : 0),
            < 60 => new RangeRequest(key),
            < 65 => new RangeRequest(key, Serializable: true),
            < 70 => new RangeRequest("k01", "k02"),
            < 78 => new DeleteRequest(key),
            < 90 => new TxnRequest(
                [new Compare(key, CompareTarget.Mod, CompareResult.Equal, _store.TryGetValue(key, out var kv) ? kv.ModRevision - (_random.Next(3) == 0 ? 1 : 0) : 0)],
                [new PutRequest(key, $"c{_revision}-{_random.Next()}")], [new RangeRequest(key)]),
            < 95 => MultiKey(key),
            < 98 => new LeaseGrantRequest(60, _nextLease++),
            _ => new LeaseRevokeRequest(_leases.Count > 0 ? _leases.First() : 1),
        };
        if (request is LeaseRevokeRequest r && !_leases.Contains(r.Id) || skip && request is LeaseGrantRequest or LeaseRevokeRequest)
        {
            request = new RangeRequest(key);
        }
        return skip ? (request, new RangeResponse([], 0)) : (request, Apply(request));
    }

    private TxnRequest MultiKey(string key)
    {
        var other = Key();
        while (other == key)
        {
            other = Key();
        }
        return new TxnRequest([new Compare(key, CompareTarget.Version, CompareResult.Greater, 0)],
            [new PutRequest(key, $"m{_revision}-{_random.Next()}"), new DeleteRequest(other)], [new PutRequest(other, $"n{_revision}-{_random.Next()}")]);
    }

    private Response Apply(Request request)
    {
        var changes = _events.Count;
        var next = _revision + 1;
        Response response;
        if (request is TxnRequest t)
        {
            var succeeded = t.Compares.All(c => Holds(c));
            response = new TxnResponse(succeeded, (succeeded ? t.Success : t.Failure).Select(r => Execute(r, next)).ToList());
        }
        else
        {
            response = Execute(request, next);
        }
        if (_events.Count > changes)
        {
            _revision = next;
        }
        return Stamp(response);
    }

    private Response Stamp(Response response) => response switch
    {
        TxnResponse t => t with { Revision = _revision, Member = 1, Responses = t.Responses.Select(Stamp).ToList() },
        _ => response with { Revision = _revision, Member = 1 },
    };

    private Response Execute(Request request, long next)
    {
        switch (request)
        {
            case PutRequest p:
                var prev = _store.GetValueOrDefault(p.Key);
                var kv = prev is null ? new KeyValue(p.Key, p.Value, next, next, 1, p.Lease) : new KeyValue(p.Key, p.Value, prev.CreateRevision, next, prev.Version + 1, p.Lease);
                _store[p.Key] = kv;
                _events.Add(new WatchEvent(EventType.Put, kv, prev));
                return new PutResponse(null);
            case DeleteRequest d:
                var deleted = _store.Values.Where(v => Covers(d.Key, d.RangeEnd, v.Key)).ToList();
                deleted.ForEach(v => Delete(v, next));
                return new DeleteResponse(deleted.Count, deleted);
            case RangeRequest g:
                var kvs = _store.Values.Where(v => Covers(g.Key, g.RangeEnd, v.Key)).OrderBy(v => v.Key, StringComparer.Ordinal).ToList();
                return new RangeResponse(kvs, kvs.Count);
            case LeaseGrantRequest l:
                _leases.Add(l.Id);
                return new LeaseGrantResponse(l.Id, l.Ttl);
            case LeaseRevokeRequest r:
                _leases.Remove(r.Id);
                _store.Values.Where(v => v.Lease == r.Id).ToList().ForEach(v => Delete(v, next));
                return new LeaseRevokeResponse();
            default:
                throw new InvalidOperationException($"not generated: {request}");
        }
    }

    private void Delete(KeyValue kv, long revision)
    {
        _store.Remove(kv.Key);
        _events.Add(new WatchEvent(EventType.Delete, new KeyValue(kv.Key, "", 0, revision, 0), kv));
    }

    private bool Holds(Compare c)
    {
        var kv = _store.GetValueOrDefault(c.Key);
        var actual = c.Target == CompareTarget.Mod ? kv?.ModRevision ?? 0 : kv?.Version ?? 0;
        return c.Result == CompareResult.Equal ? actual == c.Number : actual > c.Number;
    }

    private static bool Covers(string key, string? end, string candidate) =>
        end is null ? candidate == key : string.CompareOrdinal(candidate, key) >= 0 && string.CompareOrdinal(candidate, end) < 0;

    /// <summary>One watch of every key from revision 2 with prev_kv; each response carries up to three revisions.</summary>
    private WatchRecord Watch()
    {
        var responses = new List<WatchResponseRecord> { new(0, 1, [], Created: true) };
        foreach (var batch in _events.GroupBy(e => e.Kv.ModRevision).Chunk(3))
        {
            responses.Add(new WatchResponseRecord(0, batch[^1].Key, batch.SelectMany(g => g).ToList()));
        }
        return new WatchRecord { Client = 99, Id = 1, Key = "k", RangeEnd = "l", StartRevision = 2, PrevKv = true, Opened = 0, Responses = responses };
    }
}
