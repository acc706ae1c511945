using KvStore.Robustness.History;

namespace KvStore.Robustness.Checkers;

/// <summary>
/// The history's own consistency, before any rule of etcd: an answered operation carries the response of its
/// request's kind (a txn one response per op of its branch), and returns after it was invoked. An operation that
/// breaks this is reported as malformed and checked as unanswered.
/// </summary>
internal static class HistoryShape
{
    public static RecordedHistory Normalize(RecordedHistory history, List<Violation> violations)
    {
        var operations = history.Operations.Select(o =>
        {
            var problem = Problem(o);
            if (problem is null)
            {
                return o;
            }
            violations.Add(Violation.Of("malformed-history", problem, o));
            return o with { Outcome = Outcome.Unknown, Response = null };
        }).ToList();
        return new RecordedHistory
        {
            Target = history.Target, Seed = history.Seed, Scenario = history.Scenario, Members = history.Members,
            ElectionTimeoutMs = history.ElectionTimeoutMs, Operations = operations, Watches = history.Watches,
            Faults = history.Faults, FinalStates = history.FinalStates,
        };
    }

    private static string? Problem(Operation o)
    {
        if (o.Return < o.Invoke)
        {
            return "it returned before it was invoked";
        }
        if (o.Outcome != Outcome.Ok)
        {
            return null;
        }
        return Matches(o.Request, o.Response) ? null : $"an answered {o.Request.GetType().Name} needs its response, not {o.Response?.GetType().Name ?? "none"}";
    }

    private static bool Matches(Request request, Response? response) => (request, response) switch
    {
        (RangeRequest, RangeResponse) or (PutRequest, PutResponse) or (DeleteRequest, DeleteResponse) or (CompactRequest, CompactResponse)
            or (LeaseGrantRequest, LeaseGrantResponse) or (LeaseRevokeRequest, LeaseRevokeResponse) or (LeaseKeepAliveRequest, LeaseKeepAliveResponse) => true,
        (TxnRequest t, TxnResponse r) => (r.Succeeded ? t.Success : t.Failure) is var ops && ops.Count == r.Responses.Count
            && ops.Zip(r.Responses).All(p => Matches(p.First, p.Second)),
        _ => false,
    };
}
