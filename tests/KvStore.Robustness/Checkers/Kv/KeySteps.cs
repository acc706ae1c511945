using KvStore.Robustness.History;

namespace KvStore.Robustness.Checkers.Kv;

/// <summary>Translates one operation into the steps it takes on one key.</summary>
internal static class KeySteps
{
    /// <summary>
    /// The steps of <paramref name="request"/> on <paramref name="key"/> at <paramref name="revision"/>. With a
    /// response the steps include what it showed; without one (unknown outcome) only the effects of the txn branch
    /// <paramref name="branch"/>.
    /// </summary>
    public static List<KeyStep> For(Request request, Response? response, string key, long revision, bool? branch)
    {
        var steps = new List<KeyStep>();
        Add(request, response, key, revision, branch, steps);
        return steps;
    }

    private static void Add(Request request, Response? response, string key, long revision, bool? branch, List<KeyStep> steps)
    {
        switch (request)
        {
            case RangeRequest g when KvOps.Covers(g.Key, g.RangeEnd, key) && response is RangeResponse r && Answered(g, r, key):
                steps.Add(new ExpectStep(r.Kvs.FirstOrDefault(kv => kv.Key == key), "range"));
                break;
            case PutRequest p when p.Key == key:
                if (response is PutResponse { PrevKv: { } before })
                {
                    steps.Add(new ExpectStep(before, "put prev_kv"));
                }
                steps.Add(new PutStep(p.Value, p.Lease, revision));
                break;
            case DeleteRequest d when KvOps.Covers(d.Key, d.RangeEnd, key):
                if (response is DeleteResponse dr)
                {
                    var prev = dr.PrevKvs.FirstOrDefault(kv => kv.Key == key);
                    steps.Add(new ExpectStep(prev, "delete prev_kv"));
                    if (prev is null)
                    {
                        break;
                    }
                }
                steps.Add(new DeleteStep());
                break;
            case TxnRequest t:
                AddTxn(t, response as TxnResponse, key, revision, branch, steps);
                break;
        }
    }

    private static void AddTxn(TxnRequest t, TxnResponse? response, string key, long revision, bool? branch, List<KeyStep> steps)
    {
        var succeeded = response?.Succeeded ?? branch ?? throw new ArgumentException("an unanswered txn needs its branch");
        var onKey = t.Compares.Where(c => c.Key == key).ToList();
        if (onKey.Count > 0 && (succeeded || onKey.Count == t.Compares.Count))
        {
            steps.Add(new GuardStep(onKey, succeeded));
        }
        var ops = KvOps.Branch(t, succeeded);
        for (var i = 0; i < ops.Count; i++)
        {
            var sub = response is not null && response.Responses.Count == ops.Count ? response.Responses[i] : null;
            Add(ops[i], sub, key, revision, branch, steps);
        }
    }

    /// <summary>A limited range answers for keys up to its last returned key only.</summary>
    private static bool Answered(RangeRequest g, RangeResponse r, string key) =>
        !(r.More || (g.Limit > 0 && r.Kvs.Count >= g.Limit)) || (r.Kvs.Count > 0 && string.CompareOrdinal(key, r.Kvs[^1].Key) <= 0);
}
