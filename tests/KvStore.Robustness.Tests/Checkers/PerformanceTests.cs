using System.Diagnostics;
using KvStore.Robustness.Checkers;
using Xunit.Abstractions;

namespace KvStore.Robustness.Tests.Checkers;

/// <summary>A generated valid history of 10k operations checks clean (the time is printed, never asserted).</summary>
public sealed class PerformanceTests(ITestOutputHelper output)
{
    /// <summary>Without the watch, unanswered writes that took effect are seen by reads only, or never: the key search places them.</summary>
    [Theory]
    [InlineData(1, true)]
    [InlineData(2, false)]
    public void A_valid_history_of_ten_thousand_operations_has_no_violation(int seed, bool watch)
    {
        var history = new ValidHistoryGenerator(seed, clients: 8, operations: 10_000, keys: 50, unknown: 0.05).Generate();
        if (!watch)
        {
            history.Watches.Clear();
        }
        var clock = Stopwatch.StartNew();
        var report = Checks.Run(history);
        output.WriteLine($"{history.Operations.Count} operations, {history.Watches.Sum(w => w.Responses.Sum(r => r.Events.Count))} events: checked in {clock.Elapsed.TotalSeconds:0.00} s");
        output.WriteLine(report.ToString());
        Assert.True(report.Ok, report.ToString());
    }

    [Fact]
    public void A_generated_history_with_one_stale_read_injected_is_caught()
    {
        var history = new ValidHistoryGenerator(3, clients: 8, operations: 2_000, keys: 20, unknown: 0.05).Generate();
        // A read replaced by an older read's answer, older than a put of the key that returned before it was invoked.
        var (read, stale) = StaleCandidate(history);
        history.Operations[history.Operations.IndexOf(read)] = read with { Response = stale };

        var report = Checks.Run(history);

        Assert.Contains(report.Violations, v => v.Kind == "stale-read" && v.OperationIds.Contains(read.Id));
    }

    private static (Operation Read, Response Stale) StaleCandidate(RecordedHistory history)
    {
        bool IsRead(Operation o, string key) => o.Outcome == Outcome.Ok && o.Request is RangeRequest { Serializable: false, RangeEnd: null } g && g.Key == key;
        foreach (var read in history.Operations.Skip(history.Operations.Count / 2))
        {
            if (read.Request is not RangeRequest { Serializable: false, RangeEnd: null } g || read.Outcome != Outcome.Ok)
            {
                continue;
            }
            var put = history.Operations.Where(o => o.Outcome == Outcome.Ok && o.Request is PutRequest p && p.Key == g.Key && o.Return < read.Invoke)
                .MaxBy(o => o.Response!.Revision);
            var older = put is null ? null : history.Operations.LastOrDefault(o => IsRead(o, g.Key) && o.Return < read.Invoke && o.Response!.Revision < put.Response!.Revision);
            if (older is not null)
            {
                return (read, older.Response!);
            }
        }
        throw new InvalidOperationException("the generated history has no stale-read candidate");
    }
}
