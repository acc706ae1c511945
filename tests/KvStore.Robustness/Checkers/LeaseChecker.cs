using KvStore.Robustness.Checkers.Kv;
using KvStore.Robustness.History;

namespace KvStore.Robustness.Checkers;

/// <summary>
/// Checks etcd's lease rules: on every member's final state no key is attached to a lease that expired or was
/// revoked (the member no longer lists it) and a revoked lease is not listed; a keep-alive invoked after a revoke
/// returned answers TTL &lt;= 0; a lease's keys are deleted at one revision (watch delete events whose prev_kv
/// carries the lease, at a revision no request's delete explains, share one revision per lease).
/// </summary>
internal static class LeaseChecker
{
    public static void Check(HistoryIndex index, List<Violation> violations)
    {
        var history = index.History;
        var revokes = history.Operations.Where(o => o.Outcome == Outcome.Ok && o.Request is LeaseRevokeRequest).ToList();
        foreach (var state in history.FinalStates)
        {
            foreach (var kv in state.Kvs.Where(kv => kv.Lease != 0 && !state.Leases.Contains(kv.Lease)))
            {
                violations.Add(new Violation("lease-key-survived",
                    $"{state.Name} still holds {Describe.Kv(kv)}, attached to lease {kv.Lease:x} that it no longer has", [], [], ""));
            }
            foreach (var revoke in revokes.Where(r => state.Leases.Contains(((LeaseRevokeRequest)r.Request).Id)))
            {
                violations.Add(Violation.Of("lease-survived-revoke", $"{state.Name} still lists a revoked lease", revoke));
            }
        }
        var alives = history.Operations.Where(o => o.Outcome == Outcome.Ok && o.Response is LeaseKeepAliveResponse { Ttl: > 0 })
            .ToLookup(o => ((LeaseKeepAliveRequest)o.Request).Id);
        foreach (var revoke in revokes)
        {
            var alive = alives[((LeaseRevokeRequest)revoke.Request).Id].FirstOrDefault(o => o.Invoke > revoke.Return);
            if (alive is not null)
            {
                violations.Add(Violation.Of("keepalive-after-revoke", "a keep-alive after the revoke answered a positive TTL", revoke, alive));
            }
        }
        CheckNoResurrection(history, violations);
        CheckOneRevision(index, violations);
    }

    /// <summary>A lease a keep-alive found gone (TTL &lt;= 0) never answers a positive TTL again.</summary>
    private static void CheckNoResurrection(RecordedHistory history, List<Violation> violations)
    {
        var keepAlives = history.Operations.Where(o => o.Outcome == Outcome.Ok && o.Request is LeaseKeepAliveRequest)
            .GroupBy(o => ((LeaseKeepAliveRequest)o.Request).Id);
        foreach (var lease in keepAlives)
        {
            var gone = lease.Where(o => o.Response is LeaseKeepAliveResponse { Ttl: <= 0 }).MinBy(o => o.Return);
            var alive = gone is null ? null : lease.FirstOrDefault(o => o.Invoke > gone.Return && o.Response is LeaseKeepAliveResponse { Ttl: > 0 });
            if (alive is not null)
            {
                violations.Add(Violation.Of("lease-resurrected", "a keep-alive found the lease alive after one had found it gone", gone!, alive));
            }
        }
    }

    private static void CheckOneRevision(HistoryIndex index, List<Violation> violations)
    {
        var deleters = index.Kv.Where(o => o.Outcome == Outcome.Unknown && o.Request is DeleteRequest or TxnRequest).ToList();
        bool MayBeDeleteRequest(string key) => deleters.Any(o => index.KeysOf(o.Request).Contains(key));
        var byLease = index.History.Watches.SelectMany(w => w.Responses).SelectMany(r => r.Events)
            .Where(e => e.Type == EventType.Delete && e.PrevKv is { Lease: not 0 } && !index.Writes.ContainsKey(e.Kv.ModRevision) && !MayBeDeleteRequest(e.Kv.Key))
            .GroupBy(e => e.PrevKv!.Lease);
        foreach (var lease in byLease)
        {
            var revisions = lease.Select(e => e.Kv.ModRevision).Distinct().Order().ToList();
            if (revisions.Count > 1)
            {
                violations.Add(new Violation("lease-split-deletion",
                    $"the keys of lease {lease.Key:x} were deleted at revisions {string.Join(", ", revisions)}, not at one", [], [],
                    string.Join("\n", lease.Select(Describe.Event).Distinct().Take(5))));
            }
        }
    }
}
