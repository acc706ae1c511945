using KvStore.Robustness.History;

namespace KvStore.Robustness.Checkers;

/// <summary>
/// A range answer's <c>count</c> and <c>more</c> against its own keys (etcd's rangeKeys): without a limit it returns
/// every key it counts and <c>more</c> is false; with one it returns at most the limit and <c>more</c> says whether it
/// counted past what it returned. The keys themselves are the linearizability checker's; a count that disagrees
/// with them is a <c>range-count</c> violation. Txn branches' ranges are checked the same way.
/// </summary>
internal static class RangeCountChecker
{
    public static void Check(RecordedHistory history, List<Violation> violations)
    {
        foreach (var op in history.Operations.Where(o => o.Outcome == Outcome.Ok))
        {
            foreach (var (request, response) in Ranges(op.Request, op.Response))
            {
                if (Problem(request, response) is { } problem) violations.Add(Violation.Of("range-count", problem, op));
            }
        }
    }

    private static IEnumerable<(RangeRequest, RangeResponse)> Ranges(Request request, Response? response) => (request, response) switch
    {
        (RangeRequest g, RangeResponse r) => [(g, r)],
        (TxnRequest t, TxnResponse r) => (r.Succeeded ? t.Success : t.Failure).Zip(r.Responses).SelectMany(p => Ranges(p.First, p.Second)),
        _ => [],
    };

    private static string? Problem(RangeRequest g, RangeResponse r)
    {
        int returned = r.Kvs.Count;
        if (g.Limit <= 0)
        {
            if (r.Count != returned) return $"range {g.Key} counted {r.Count} keys but returned {returned}, with no limit";
            return r.More ? $"range {g.Key} said more with no limit" : null;
        }
        if (returned > g.Limit) return $"range {g.Key} returned {returned} keys past its limit {g.Limit}";
        if (r.Count < returned) return $"range {g.Key} counted {r.Count} keys but returned {returned}";
        return r.More != (r.Count > returned) ? $"range {g.Key} said more={r.More} with {returned} of {r.Count} keys returned" : null;
    }
}
