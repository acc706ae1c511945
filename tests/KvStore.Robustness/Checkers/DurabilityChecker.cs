using KvStore.Robustness.Checkers.Kv;
using KvStore.Robustness.History;

namespace KvStore.Robustness.Checkers;

/// <summary>
/// Checks that nothing acknowledged was lost: all members end at the same revision with the same keys and the same
/// HashKV, and on each member every key shows at least the latest write the history proves (an acknowledged put
/// or delete, a seen unanswered put, a watched event) up to the member's revision. A key whose latest proven write
/// is a put may be missing only when something unproven can have deleted it: a lease, or an unanswered delete.
/// </summary>
internal static class DurabilityChecker
{
    public static void Check(HistoryIndex index, EventLog log, List<Violation> violations)
    {
        var states = index.History.FinalStates;
        if (states.Count == 0)
        {
            return;
        }
        CheckAgreement(states, violations);
        var deleters = index.Kv.Where(o => o.Outcome == Outcome.Unknown && o.Request is DeleteRequest or TxnRequest).ToList();
        foreach (var state in states)
        {
            var kvs = state.Kvs.ToDictionary(kv => kv.Key, StringComparer.Ordinal);
            foreach (var key in index.Universe)
            {
                if (log.Before(key, state.Revision + 1) is not { } latest)
                {
                    continue;
                }
                var kv = kvs.GetValueOrDefault(key);
                var writer = index.Writes.GetValueOrDefault(latest.Revision)?.Operation;
                if (kv is not null && kv.ModRevision < latest.Revision)
                {
                    violations.Add(Lost(state, $"{key} is at revision {kv.ModRevision}, but its {latest.Type} at revision {latest.Revision} was proven", writer));
                }
                else if (kv is null && latest.Type == EventType.Put && !MayHaveGone(key, latest.Revision, index, deleters))
                {
                    violations.Add(Lost(state, $"{key} is missing, but its put at revision {latest.Revision} was proven and nothing can have deleted it", writer));
                }
            }
        }
    }

    private static bool MayHaveGone(string key, long revision, HistoryIndex index, List<Operation> deleters) =>
        index.Seen(key, revision) is { Lease: not 0 }
        || (index.Writes.GetValueOrDefault(revision)?.Operation.Request is { } r && KvOps.Puts(r).Any(p => p.Put.Key == key && p.Put.Lease != 0))
        || deleters.Any(o => index.KeysOf(o.Request).Contains(key));

    private static Violation Lost(MemberState state, string message, Operation? writer) =>
        writer is null ? new Violation("lost-write", $"{state.Name}: {message}", [], [], "") : Violation.Of("lost-write", $"{state.Name}: {message}", writer);

    private static void CheckAgreement(List<MemberState> states, List<Violation> violations)
    {
        var first = states[0];
        foreach (var other in states.Skip(1))
        {
            if (other.Revision != first.Revision)
            {
                violations.Add(new Violation("member-divergence", $"{first.Name} ends at revision {first.Revision}, {other.Name} at {other.Revision}", [], [], ""));
                continue;
            }
            if (other.HashKv != first.HashKv)
            {
                violations.Add(new Violation("hash-mismatch",
                    $"at revision {first.Revision} {first.Name} has HashKV {first.HashKv}, {other.Name} {other.HashKv}", [], [], ""));
            }
            var mine = first.Kvs.ToHashSet();
            var differ = other.Kvs.Where(kv => !mine.Contains(kv)).Concat(first.Kvs.Except(other.Kvs)).Take(3).ToList();
            if (differ.Count > 0)
            {
                violations.Add(new Violation("member-divergence", $"{first.Name} and {other.Name} hold different keys at revision {first.Revision}", [], [],
                    string.Join("\n", differ.Select(Describe.Kv))));
            }
        }
    }
}
