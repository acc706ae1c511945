using KvStore.Robustness.History;

namespace KvStore.Robustness.Checkers.Kv;

/// <summary>
/// The real-time half of linearizability. Every answered KV operation sits at a point of the revision order: a
/// write that created revision R at 2R, anything that read revision R (reads, deletes of nothing, txns that wrote
/// nothing) at 2R+1. A linearization exists when no operation that returned before another was invoked sits at a
/// later point (writes at one revision are unique, reads at one revision commute). Serializable reads only bound
/// what follows them: the revision they saw was committed before they returned, but they may lag.
/// </summary>
internal sealed class RealTimeOrder
{
    private readonly long[] _returns;
    private readonly long[] _maxPoint;
    private readonly Operation?[] _maxOp;

    public RealTimeOrder(HistoryIndex index)
    {
        var before = index.Kv.Where(o => o.Outcome == Outcome.Ok).OrderBy(o => o.Return).ToList();
        _returns = before.Select(o => o.Return).ToArray();
        _maxPoint = new long[before.Count];
        _maxOp = new Operation?[before.Count];
        long max = 0;
        Operation? maxOp = null;
        for (var i = 0; i < before.Count; i++)
        {
            var point = Point(before[i]);
            if (point > max)
            {
                (max, maxOp) = (point, before[i]);
            }
            (_maxPoint[i], _maxOp[i]) = (max, maxOp);
        }
    }

    public static long Point(Operation op) =>
        (2 * op.Response!.Revision) + (KvOps.Bumped(op.Request, op.Response) ? 0 : 1);

    /// <summary>The latest point among operations that returned before <paramref name="time"/>, and its operation.</summary>
    public (long Point, Operation? Op) LatestBefore(long time)
    {
        var i = LowerBound(time) - 1;
        return i < 0 ? (0, null) : (_maxPoint[i], _maxOp[i]);
    }

    /// <summary>The smallest revision a write invoked at <paramref name="invoke"/> can take.</summary>
    public long FirstRevisionAfter(long invoke) => (LatestBefore(invoke).Point / 2) + 1;

    public void Check(HistoryIndex index, List<Violation> violations)
    {
        foreach (var op in index.Kv.Where(o => o.Outcome == Outcome.Ok && o.Request is not RangeRequest { Serializable: true }))
        {
            var (latest, earlier) = LatestBefore(op.Invoke);
            var point = Point(op);
            if (latest > point)
            {
                var kind = op.Request is RangeRequest ? "stale-read" : "revision-order";
                violations.Add(Violation.Of(kind,
                    $"answered at revision {op.Response!.Revision}, but an operation that returned before it was invoked had already reached revision {latest / 2}",
                    earlier!, op));
            }
        }
        foreach (var placed in index.Placed.Values)
        {
            var (latest, earlier) = LatestBefore(placed.Operation.Invoke);
            if (latest > 2 * placed.Revision)
            {
                violations.Add(Violation.Of("revision-order",
                    $"an unanswered write was seen at revision {placed.Revision}, but an operation that returned before it was invoked had reached revision {latest / 2}",
                    earlier!, placed.Operation));
            }
        }
    }

    private int LowerBound(long time)
    {
        int lo = 0, hi = _returns.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_returns[mid] < time)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }
}
