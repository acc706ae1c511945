using System.Numerics;
using KvStore.Robustness.History;

namespace KvStore.Robustness.Checkers.Kv;

/// <summary>
/// A WGL-style search over one key's timeline. Items are fixed in revision order; the search chooses which unseen
/// unanswered writes (and lease expiries) took effect in the gap revisions between two items, at most one per gap.
/// A configuration (next item, key state, set of candidates used, gaps used before the item) is explored once.
/// </summary>
internal sealed class KeySearch(KeyTimeline timeline, HistoryIndex index, int budget)
{
    private readonly HashSet<(int Item, KeyState State, BigInteger Used, int Fills)> _visited = [];
    private int _deepest = -1;
    private string? _why;

    /// <summary>The result: null when the timeline has a linearization, else the violation.</summary>
    public Violation? Run()
    {
        bool found;
        try
        {
            found = Search(0, KeyState.Absent, BigInteger.Zero, 0);
        }
        catch (BudgetExceeded)
        {
            return new Violation("linearizability-inconclusive",
                $"key {timeline.Key}: the search gave up after {budget} configurations", [], [], "");
        }
        if (found)
        {
            return null;
        }
        var item = timeline.Items[Math.Max(0, _deepest)];
        var message = $"key {timeline.Key} at revision {item.Revision}: {_why}";
        if (item.Operation is null)
        {
            return Violation.OfWatch("watch-event-mismatch", message, item.Watch!, "");
        }
        return Violation.Of(item.Operation.Request is RangeRequest ? "stale-read" : "linearizability", message, item.Operation);
    }

    private bool Search(int i, KeyState state, BigInteger used, int fills)
    {
        if (i == timeline.Items.Count)
        {
            return true;
        }
        if (!_visited.Add((i, state, used, fills)))
        {
            return false;
        }
        if (_visited.Count > budget)
        {
            throw new BudgetExceeded();
        }
        var item = timeline.Items[i];
        if (Apply(item.Steps, state, out var next, out var why))
        {
            if (Search(i + 1, next, used, 0))
            {
                return true;
            }
        }
        else if (i >= _deepest)
        {
            (_deepest, _why) = (i, why);
        }
        // Fills act at gaps after the previous item, before a write's revision or up to a read's (a read sees its revision).
        var previous = i == 0 ? 1 : timeline.Items[i - 1].Revision;
        var high = item.Order == 0 ? item.Revision : item.Revision + 1;
        if (fills >= index.GapsBetween(previous, high))
        {
            return false;
        }
        var tried = new HashSet<int>();
        foreach (var c in timeline.Candidates)
        {
            if ((!used.IsZero && !(used >> c.Bit).IsEven) || !tried.Add(c.Group))
            {
                continue;
            }
            if (index.GapsBetween(Math.Max(previous, c.FirstRevision - 1), high) == 0)
            {
                continue;
            }
            foreach (var alternative in c.Alternatives)
            {
                if (Apply(alternative, state, out var filled, out _) && Search(i, filled, used | (BigInteger.One << c.Bit), fills + 1))
                {
                    return true;
                }
            }
        }
        // A lease's expiry deletes its keys at a revision of its own.
        return state.Exists && state.Lease != 0 && Search(i, KeyState.Absent, used, fills + 1);
    }

    private static bool Apply(IReadOnlyList<KeyStep> steps, KeyState state, out KeyState next, out string? why)
    {
        next = state;
        foreach (var step in steps)
        {
            if (!step.Apply(ref next, out why))
            {
                return false;
            }
        }
        why = null;
        return true;
    }

    private sealed class BudgetExceeded : Exception;
}
