using KvStore.Robustness.Checkers;
using KvStore.Robustness.Harness;

namespace KvStore.Robustness.Tests;

/// <summary>
/// The CI short form of the robustness runs: 3 kvstore members, fixed seeds, each traffic kind under SIGKILLs,
/// SIGSTOPs and a failpoint (slow Raft log writes, or a crash at one) for 20 s; the recorded history must hold every
/// kind of record and check clean.
/// </summary>
public sealed class ShortRunTests
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("etcd", 11, "kill-leader,pause,slow-save")]
    [InlineData("kube", 12, "kill,pause-leader,crash-save")]
    public async Task A_short_run_under_kills_and_pauses_checks_clean(string traffic, long seed, string faults)
    {
        var options = new RunOptions { Target = "kvstore", Members = 3, Duration = Duration, Seed = seed, Traffic = traffic, Faults = FaultKinds.Parse(faults) };
        var log = new StringWriter();

        RecordedHistory history = await RobustnessRun.RunAsync(options, log);

        var report = new StringWriter();
        RunReport.Write(history, report);
        Assert.True(history.Operations.Count(o => o.Outcome == Outcome.Ok) > 100, report.ToString());
        Assert.Equal(options.Faults.Order(), history.Faults.Select(f => f.Kind).Distinct().Order());
        Assert.DoesNotContain(history.Faults, f => f.Detail?.StartsWith(ToolArguments.FailedFault, StringComparison.Ordinal) == true);
        Assert.NotEmpty(history.Watches.SelectMany(w => w.Responses).SelectMany(r => r.Events));
        Assert.Equal(3, history.FinalStates.Count);
        CheckReport check = Checks.Run(history);
        if (!check.Ok)
        {
            // the run's history replays the check: tools/robustness.sh check FILE
            string file = Path.Combine(Path.GetTempPath(), $"robustness-short-{traffic}-{seed}-{DateTime.UtcNow:HHmmss}.json");
            history.Save(file);
            Assert.Fail($"{report}\n{check}\nhistory saved to {file}");
        }
    }
}
