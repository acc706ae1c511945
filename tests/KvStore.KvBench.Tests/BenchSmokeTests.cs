using KvStore.Bench;
using Spectre.Console;

namespace KvStore.KvBench.Tests;

/// <summary>tools/bench end to end with tiny totals: a real etcd and the kvstore built here, one member each, under loadgen.</summary>
public sealed class BenchSmokeTests
{
    [Fact]
    public void A_quick_run_against_one_member_of_each_writes_the_rows_and_the_chart()
    {
        string output = Path.Combine(Path.GetTempPath(), $"bench-smoke-{Guid.NewGuid():N}");
        using var log = new StringWriter();
        try
        {
            string repo = RepoRoot.Find();
            Loadgen loadgen = Loadgen.Build(repo, Path.Combine(output, "loadgen"));
            var options = new BenchOptions
            {
                Members = [1],
                Workloads = Workload.Parse("put-1,mixed-8,watch-1000,lease-100"),
                Rounds = 1, Total = 200, Warmup = 0, Quick = true, OutputDir = output,
            };
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(log), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
            var report = new ReportSettings("bench --quick", true, 1, "3.4.23", "ratios.png");
            int code = new BenchRun(options, loadgen, ResultStore.Open(Path.Combine(output, "results.json")), report, console).Run();

            Assert.True(code == 0, log.ToString());
            string md = File.ReadAllText(Path.Combine(output, "RESULTS.md"));
            foreach (string title in new[] { "put, 1 client", "8 clients, 40% get / 40% put / 20% CAS", "watch fan-out, 1,000 watchers, 1 putter (events)", "lease keep-alive, 100 clients" })
            {
                Assert.Matches($@"\| {System.Text.RegularExpressions.Regex.Escape(title)} \| 1 \| [\d,]+ \|.*\| [\d.]+x \|", md);
            }
            IReadOnlyList<RunRecord> runs = ResultStore.Open(Path.Combine(output, "results.json")).Records;
            Assert.Equal(8, runs.Count);
            foreach (RunRecord run in runs)
            {
                Assert.True(run.Result.Errors == 0, run.ToString());
                // watch: 200 events at 1,000 watchers is still one put, delivered to every watcher
                Assert.Equal(run.Workload == "watch-1000" ? 1000 : 200, run.Result.Ok);
                Assert.True(run.ServerCpuSeconds > 0, run.ToString());
                Assert.Equal(1, run.Leader); // the one member leads
            }
            Assert.True(new FileInfo(Path.Combine(output, "ratios.png")).Length > 5_000);

            // --resume: every run is recorded, so nothing starts again
            code = new BenchRun(options with { Resume = true }, loadgen, ResultStore.Open(Path.Combine(output, "results.json")), report, console).Run();
            Assert.Equal(0, code);
            Assert.Contains("0 runs in 0 clusters", log.ToString());
            Assert.Equal(8, ResultStore.Open(Path.Combine(output, "results.json")).Records.Count);
        }
        finally
        {
            try { Directory.Delete(output, recursive: true); } catch (IOException) { }
        }
    }
}
