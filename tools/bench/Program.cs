using System.CommandLine;
using KvStore.Bench;
using KvStore.TestSupport;
using Spectre.Console;

// bench: etcd 3.4 and kvstore as 1, 3 and 5 member clusters under the same loads; writes RESULTS.md and a chart
// (tools/README.md, "bench").
var members = new Option<string>("--members")
{
    Description = "topologies, comma separated (1, 3, 5)", DefaultValueFactory = _ => "1,3,5",
};
var workloads = new Option<string>("--workloads")
{
    Description = $"comma separated, or all: {string.Join(", ", Workload.All.Select(w => w.Name))}",
    DefaultValueFactory = _ => "all",
};
var rounds = new Option<int>("--rounds")
{
    Description = "rounds per topology (each: etcd, then kvstore); a row is the best round", DefaultValueFactory = _ => 2,
};
var total = new Option<int>("--total")
{
    Description = "requests per measured run (watch: events); 0 is each workload's own", DefaultValueFactory = _ => 0,
};
var warmup = new Option<int>("--warmup")
{
    Description = "unmeasured requests before each run; -1 is 5000 (200 with --quick)", DefaultValueFactory = _ => -1,
};
var quick = new Option<bool>("--quick")
{
    Description = "a smoke run: one round, each workload's small total (unless --rounds/--total say otherwise)",
};
var resume = new Option<bool>("--resume") { Description = "keep the runs already in OUT/results.json and do only the missing ones" };
var output = new Option<string>("--out")
{
    Description = "directory of results.json, RESULTS.md and ratios.png (default: the checkout's benchmarks/)",
};
var loadgenPath = new Option<string>("--loadgen") { Description = "a built tools/loadgen binary (default: build it with tools/loadgen/build.sh)" };

var root = new RootCommand("bench: etcd 3.4 and kvstore clusters under the same Go clientv3 loads (issue 13, part 8)")
{
    members, workloads, rounds, total, warmup, quick, resume, output, loadgenPath,
};
root.SetAction(result =>
{
    BenchOptions options;
    try
    {
        bool isQuick = result.GetValue(quick);
        string repo = RepoRoot.Find();
        options = new BenchOptions
        {
            Members = BenchOptions.ParseMembers(result.GetValue(members)!),
            Workloads = Workload.Parse(result.GetValue(workloads)!),
            Rounds = isQuick && result.GetResult(rounds) is null or { Implicit: true } ? 1 : result.GetValue(rounds),
            Total = result.GetValue(total),
            Warmup = result.GetValue(warmup),
            Quick = isQuick,
            Resume = result.GetValue(resume),
            OutputDir = Path.GetFullPath(result.GetValue(output) ?? Path.Combine(repo, "benchmarks")),
            LoadgenBinary = result.GetValue(loadgenPath),
            CommandLine = string.Join(' ', ["bench", .. args]),
        }.Validated();
        Directory.CreateDirectory(options.OutputDir);
        Loadgen loadgen = options.LoadgenBinary is { } binary
            ? new Loadgen(Path.GetFullPath(binary))
            : Loadgen.Build(repo, Path.Combine(Path.GetTempPath(), "kvstore-bench-loadgen"));
        var report = new ReportSettings(options.CommandLine, options.Quick, options.Rounds, EtcdVersion(), "ratios.png");
        var store = ResultStore.Open(Path.Combine(options.OutputDir, "results.json"));
        // a log file or a pipe gets each run on one line, not wrapped at Spectre's default 80 columns
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 240;
        return new BenchRun(options, loadgen, store, report, AnsiConsole.Console).Run();
    }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine($"bench: {e.Message}");
        return 2;
    }
    catch (BenchException e)
    {
        Console.Error.WriteLine($"bench: {e.Message}");
        return 1;
    }
});
return await root.Parse(args).InvokeAsync();

// "3.4.23" from etcd --version's first line ("etcd Version: 3.4.23").
static string EtcdVersion()
{
    (int code, string stdout, _) = ChildProcess.Run("etcd", ["--version"]);
    string first = stdout.Split('\n')[0];
    return code == 0 && first.Contains(':', StringComparison.Ordinal) ? first[(first.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim() : "3.4";
}
