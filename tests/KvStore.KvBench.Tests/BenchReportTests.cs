using KvStore.Bench;

namespace KvStore.KvBench.Tests;

/// <summary>tools/bench's report from recorded runs: best rounds, ratios, issue 13's targets, the chart; and its parsers.</summary>
public sealed class BenchReportTests
{
    private static RunRecord Run(string system, int members, int round, string workload, double qps, double p99 = 10) =>
        new(system, members, round, workload,
            new LoadgenResult { Ok = 1000, RequestsPerSecond = qps, P50Ms = 1, P99Ms = p99, P999Ms = p99 * 2, MaxMs = p99 * 3 },
            ServerCpuSeconds: 0.5, Load1: 1.0, At: DateTimeOffset.UtcNow);

    private static readonly RunRecord[] Runs =
    [
        // 3 members, put-100: kvstore's best 2,500 over etcd's best 1,000 with a lower p99: met
        Run("etcd", 3, 1, "put-100", 900), Run("kvstore", 3, 1, "put-100", 2_500, p99: 8),
        Run("etcd", 3, 2, "put-100", 1_000), Run("kvstore", 3, 2, "put-100", 2_000, p99: 9),
        // 3 members, get-s-100: 2.5x but a higher p99: not met
        Run("etcd", 3, 1, "get-s-100", 1_000, p99: 10), Run("kvstore", 3, 1, "get-s-100", 2_500, p99: 30),
        // 1 member, put-1: 0.5x, not met
        Run("etcd", 1, 1, "put-1", 2_000), Run("kvstore", 1, 1, "put-1", 1_000),
        // 5 members have no target
        Run("etcd", 5, 1, "put-100", 1_000), Run("kvstore", 5, 1, "put-100", 1_100),
        // etcd only: no ratio
        Run("etcd", 1, 1, "lease-100", 5_000),
    ];

    [Fact]
    public void Comparisons_take_each_systems_best_round_and_judge_the_issues_targets()
    {
        IReadOnlyList<Comparison> all = Comparison.From(Runs);
        Comparison put3 = all.Single(c => c.Members == 3 && c.Workload.Name == "put-100");
        Assert.Equal(2.5, put3.Ratio!.Value, 3);
        Assert.Equal((2.0, 2500 / 900.0), put3.RoundRatios);
        Assert.True(put3.TargetMet);

        Assert.False(all.Single(c => c.Members == 3 && c.Workload.Name == "get-s-100").TargetMet); // p99 30 > 10 ms
        Assert.False(all.Single(c => c.Members == 1 && c.Workload.Name == "put-1").TargetMet);
        Assert.Null(all.Single(c => c.Members == 5).TargetMet);
        Comparison lease = all.Single(c => c.Workload.Name == "lease-100");
        Assert.Null(lease.Ratio);
        Assert.Null(lease.TargetMet);
        Assert.Equal([1, 1, 3, 3, 5], all.Select(c => c.Members));
    }

    [Fact]
    public void Results_markdown_has_a_row_per_workload_and_topology_and_names_the_targets_not_met()
    {
        string md = ResultsMarkdown.Write(Comparison.From(Runs), Runs, new ReportSettings("bench --members 1,3,5", false, 2, "3.4.23", "ratios.png"));

        Assert.Contains("| put, 100 clients | 3 | 1,000 | 1 / 10 / 20 | 500 | 2,500 | 1 / 8 / 16 | 500 | 2.50x (2.00-2.78) | >= 2.0x, p99 <= etcd's | yes |", md);
        Assert.Contains("| serializable get, 100 clients | 3 | 1,000 | 1 / 10 / 20 | 500 | 2,500 | 1 / 30 / 60 | 500 | 2.50x | >= 2.0x, p99 <= etcd's | **no** |", md);
        Assert.Contains("| put, 1 client | 1 | 2,000 | 1 / 10 / 20 | 500 | 1,000 | 1 / 10 / 20 | 500 | 0.50x | >= 1.0x | **no** |", md);
        Assert.Contains("| put, 100 clients | 5 | 1,000 | 1 / 10 / 20 | 500 | 1,100 | 1 / 10 / 20 | 500 | 1.10x | — | — |", md);
        Assert.Contains("| lease keep-alive, 100 clients | 1 | 5,000 | 1 / 10 / 20 | 500 | — | — | — | — | — | — |", md);
        Assert.Contains("1 of 3 throughput targets measured here are met.", md);
        Assert.Contains("- not met: serializable get, 100 clients, 3 member(s): 2.50x against >= 2.0x, p99 <= etcd's, p99 30 vs 10 ms", md);
        Assert.Contains("![kvstore/etcd requests per second, by workload and topology](ratios.png)", md);
        Assert.Equal(Runs.Length, md.Split('\n').Count(l => l.StartsWith("| ", StringComparison.Ordinal) && l.Contains("| 1000 |", StringComparison.Ordinal)));
        Assert.DoesNotContain("smoke run", md);
    }

    [Fact]
    public void Ratio_chart_is_a_png()
    {
        string path = Path.Combine(Path.GetTempPath(), $"bench-chart-{Guid.NewGuid():N}.png");
        try
        {
            RatioChart.Save(Comparison.From(Runs), path);
            byte[] png = File.ReadAllBytes(path);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
            Assert.True(png.Length > 5_000, $"{png.Length} bytes");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Workloads_members_and_proc_stat_parse()
    {
        Assert.Equal(["put-1", "watch-1000"], Workload.Parse("watch-1000, put-1").Select(w => w.Name));
        Assert.Equal(Workload.All, Workload.Parse("all"));
        Assert.Contains("unknown workload \"put-2\"", Assert.Throws<ArgumentException>(() => Workload.Parse("put-1,put-2")).Message);
        Assert.Equal([3, 1], BenchOptions.ParseMembers("3,1,3"));
        Assert.Throws<ArgumentException>(() => BenchOptions.ParseMembers("2"));

        Workload watch = Workload.All.Single(w => w.Name == "watch-1000");
        Assert.Equal(20, watch.LoadgenTotal(20_000)); // puts, each to 1,000 watchers
        Assert.Equal(1, watch.LoadgenTotal(10));
        Assert.Equal(["-endpoints", "a:1,b:2", "-mode", "watch", "-clients", "1", "-conns", "10", "-total", "3", "-json", "-watchers", "1000"],
            watch.LoadgenArgs(["a:1", "b:2"], 3_000));

        // utime 11, stime 22 (fields 14 and 15) after a command name with a space and a parenthesis
        Assert.Equal(33, ServerCpu.Ticks("4242 (dotnet (x) y) S 1 2 3 4 5 6 7 8 9 10 11 22 0 0 20 0 30 0 100 2000 300"));
    }
}
