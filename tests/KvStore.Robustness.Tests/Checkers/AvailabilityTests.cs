using KvStore.Robustness.Checkers;

namespace KvStore.Robustness.Tests.Checkers;

/// <summary>Recovery times count from a fault's RecoveryFrom to the first acknowledged write and linearizable read invoked after it.</summary>
public sealed class AvailabilityTests
{
    [Fact]
    public void Recovery_is_measured_per_fault_and_throughput_per_window()
    {
        var h = new HistoryBuilder();
        for (var t = 0; t < 1000; t += 100)
        {
            h.Put($"a{t}", "1", t, t + 10, 2 + (t / 100));
        }
        h.Fault(new FaultRecord("kill-leader", 0, 1_000_000_000, 1_000_000_000));
        h.Add(new PutRequest("b", "lost"), 1100, 1500, null, Outcome.Unknown);
        h.Add(new RangeRequest("b"), 1200, 1900, new RangeResponse([], 0) { Revision = 11 });
        h.Put("c", "1", 1600, 2500, 12);
        h.Put("d", "1", 4000, 4010, 13);

        var stats = Checks.Run(h.Build()).Availability;

        var recovery = Assert.Single(stats.Recoveries);
        Assert.Equal(1500, recovery.FirstWriteMs);
        Assert.Equal(900, recovery.FirstLinearizableReadMs);
        Assert.Equal(10, stats.OpsPerSecondWithoutFaults);
        Assert.Equal(1, stats.WindowsWithoutFaults);
        Assert.Contains("kill-leader", stats.ToTable(), StringComparison.Ordinal);
    }
}
