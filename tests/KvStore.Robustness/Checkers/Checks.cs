using System.Diagnostics;
using KvStore.Robustness.Checkers.Kv;
using KvStore.Robustness.History;

namespace KvStore.Robustness.Checkers;

/// <summary>The checkers' entry point: every rule of docs/robustness.md ("Checkers") over one recorded history.</summary>
public static class Checks
{
    public static CheckReport Run(RecordedHistory history)
    {
        var clock = Stopwatch.StartNew();
        var violations = new List<Violation>();
        history = HistoryShape.Normalize(history, violations);
        var index = new HistoryIndex(history, violations);
        LinearizabilityChecker.Check(index, violations);
        RangeCountChecker.Check(history, violations);
        var log = new EventLog(index, violations);
        WatchChecker.Check(index, log, violations);
        LeaseChecker.Check(index, violations);
        DurabilityChecker.Check(index, log, violations);
        return new CheckReport(violations, AvailabilityStats.From(history), history.Operations.Count, history.Watches.Count, clock.Elapsed);
    }

    /// <summary>Checks a history file saved by a run (the harness's `check &lt;file&gt;`).</summary>
    public static CheckReport Replay(string historyFile) => Run(RecordedHistory.Load(historyFile));
}
