using KvStore.TestSupport;
using Spectre.Console;

namespace KvStore.Bench;

/// <summary>
/// The measurement: per topology, rounds of etcd then kvstore, each a fresh cluster that runs every workload (an
/// unmeasured warm-up, then the measured run with the servers' CPU read around it) and is stopped; the runs are saved
/// as they end, and RESULTS.md and the chart are rewritten after every cluster.
/// </summary>
internal sealed class BenchRun(BenchOptions options, Loadgen loadgen, ResultStore store, ReportSettings report, IAnsiConsole console)
{
    private bool _failed;

    /// <summary>0 when every run gave a result without failed requests, 1 otherwise.</summary>
    public int Run()
    {
        if (!options.Resume) store.Forget(options.Members, options.Workloads);
        var plan = (from members in options.Members
                    from round in Enumerable.Range(1, options.Rounds)
                    from system in BenchOptions.Systems
                    let todo = options.Workloads.Where(w => !store.Has(system, members, round, w)).ToArray()
                    where todo.Length > 0
                    select (members, round, system, todo)).ToList();
        int steps = plan.Sum(p => p.todo.Length);
        console.MarkupLine($"[bold]{steps}[/] runs in {plan.Count} clusters; results in [blue]{Markup.Escape(options.OutputDir)}[/]");
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(),
                new RemainingTimeColumn())
            .Start(ctx =>
            {
                ProgressTask task = ctx.AddTask("starting", maxValue: Math.Max(1, steps));
                foreach ((int members, int round, string system, Workload[] todo) in plan)
                {
                    RunCluster(members, round, system, todo, task);
                    WriteReport();
                }
                task.Value = task.MaxValue;
            });
        WriteReport();
        string results = Markup.Escape(Path.Combine(options.OutputDir, "RESULTS.md"));
        console.MarkupLine($"wrote [blue]{results}[/] and [blue]{Markup.Escape(report.ChartFile)}[/]");
        return _failed ? 1 : 0;
    }

    private void RunCluster(int members, int round, string system, Workload[] todo, ProgressTask task)
    {
        string where = $"{members} member(s), round {round}/{options.Rounds}, {system}";
        task.Description = Markup.Escape($"{where}: starting");
        KvStoreCluster cluster;
        try
        {
            cluster = KvStoreCluster.Start(new KvStoreClusterOptions { Size = members, Server = system });
        }
        catch (InvalidOperationException e)
        {
            Fail($"{where}: the cluster did not start: {e.Message}");
            task.Increment(todo.Length);
            return;
        }
        using (cluster)
        {
            string[] endpoints = [.. cluster.ClientUrls.Select(u => new Uri(u).Authority)];
            int[] pids = [.. Enumerable.Range(0, cluster.Size).Select(i => cluster.Process(i).Id)];
            foreach (Workload w in todo)
            {
                task.Description = Markup.Escape($"{where}: {w.Name}");
                Measure(members, round, system, w, endpoints, pids, cluster);
                task.Increment(1);
            }
        }
    }

    /// <summary>
    /// One measured run, with the member that leads as it starts. A 1-connection workload talks to the first member,
    /// which is made the leader first, in both systems: etcd's first member usually wins the first election and
    /// kvstore's often not, and through a follower a put costs a forward (docs/performance.md), so the same client
    /// would otherwise be compared over different paths.
    /// </summary>
    private void Measure(int members, int round, string system, Workload w, string[] endpoints, int[] pids, KvStoreCluster cluster)
    {
        string where = $"{members} member(s), round {round}, {system}, {w.Name}";
        try
        {
            if (members > 1 && w.Conns == 1) cluster.MakeLeaderAsync(0, TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
            int warmup = options.WarmupFor(w);
            if (warmup > 0) loadgen.Run(w, endpoints, warmup);
            int? leader = cluster.FindLeaderAsync().GetAwaiter().GetResult() is { } index ? index + 1 : null;
            double load = ServerCpu.LoadAverage();
            double before = ServerCpu.Seconds(pids);
            LoadgenResult result = loadgen.Run(w, endpoints, options.RequestsFor(w));
            double cpu = ServerCpu.Seconds(pids) - before;
            var record = new RunRecord(system, members, round, w.Name, result, cpu, load, DateTimeOffset.UtcNow, leader);
            store.Add(record);
            console.MarkupLine(Markup.Escape(
                $"{where}: {result.RequestsPerSecond:#,0} req/s, p50 {result.P50Ms:0.##} / p99 {result.P99Ms:0.##} / p99.9 {result.P999Ms:0.##} ms, "
                + $"server CPU {record.CpuMicrosPerRequest:0.#} µs/req (load {load:0.0}, leader: member {leader?.ToString() ?? "?"})"));
            if (result.Errors > 0) Fail($"{where}: {result.Errors} requests failed, first: {result.FirstError}");
        }
        catch (Exception e) when (e is BenchException or IOException or TimeoutException)
        {
            Fail($"{where}: {e.Message}");
        }
    }

    private void WriteReport()
    {
        IReadOnlyList<Comparison> comparisons = Comparison.From(store.Records);
        File.WriteAllText(Path.Combine(options.OutputDir, "RESULTS.md"), ResultsMarkdown.Write(comparisons, store.Records, report));
        RatioChart.Save(comparisons, Path.Combine(options.OutputDir, report.ChartFile));
    }

    private void Fail(string message)
    {
        _failed = true;
        console.MarkupLine($"[red]{Markup.Escape(message)}[/]");
    }
}
