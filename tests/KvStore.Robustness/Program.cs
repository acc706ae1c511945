using System.CommandLine;
using KvStore.Robustness.Harness;
using KvStore.Robustness.History;

// The robustness tool: `run` drives a cluster under faults, saves the history and prints a report; `check` replays
// a saved history's check (see docs/robustness.md).
var target = new Option<string>("--target") { Description = "kvstore or etcd", DefaultValueFactory = _ => "kvstore" };
var members = new Option<int>("--members") { Description = "cluster size (3 or 5)", DefaultValueFactory = _ => 3 };
var duration = new Option<string>("--duration") { Description = "how long traffic and faults run (e.g. 60s, 5m)", DefaultValueFactory = _ => "60s" };
var seed = new Option<long>("--seed") { Description = "seed of the traffic and the fault schedule", DefaultValueFactory = _ => 1 };
var traffic = new Option<string>("--traffic") { Description = "etcd or kube", DefaultValueFactory = _ => "etcd" };
var faults = new Option<string>("--faults")
{
    Description = $"comma-separated fault kinds ({string.Join(", ", FaultKinds.All)}), all, or none",
    DefaultValueFactory = _ => "kill-leader,kill,pause",
};
var clients = new Option<int>("--clients") { Description = "sequential traffic clients", DefaultValueFactory = _ => 8 };
var memberFlags = new Option<string>("--member-flags") { Description = "flags every member also gets, space separated (e.g. \"--log-level debug\")", DefaultValueFactory = _ => "" };
var output = new Option<string>("--out") { Description = "directory for history.json and members.log (each member's output)", DefaultValueFactory = _ => "robustness-out" };

var run = new Command("run", "run a cluster under traffic and faults, save the history, check it") { target, members, duration, seed, traffic, faults, clients, memberFlags, output };
run.SetAction(async (result, _) =>
{
    RunOptions options;
    try
    {
        options = new RunOptions
        {
            Target = result.GetValue(target)!,
            Members = result.GetValue(members),
            Duration = ToolArguments.Duration(result.GetValue(duration)!),
            Seed = result.GetValue(seed),
            Traffic = result.GetValue(traffic)!,
            Faults = FaultKinds.Parse(result.GetValue(faults)!),
            Clients = result.GetValue(clients),
            MemberFlags = result.GetValue(memberFlags)!.Split(' ', StringSplitOptions.RemoveEmptyEntries),
        }.Validated();
    }
    catch (ArgumentException e)
    {
        await Console.Error.WriteLineAsync($"robustness: {e.Message}");
        return 2;
    }
    string dir = result.GetValue(output)!;
    Directory.CreateDirectory(dir);
    RecordedHistory history = await RobustnessRun.RunAsync(options, Console.Out, Path.Combine(dir, "members.log"));
    string file = Path.Combine(dir, "history.json");
    history.Save(file);
    Console.WriteLine($"history: {file}");
    RunReport.Write(history, Console.Out);
    return ToolArguments.Check(history, Console.Out);
});

var file = new Argument<string>("FILE") { Description = "a history.json a run saved" };
var check = new Command("check", "check a saved history again (no cluster needed)") { file };
check.SetAction(result =>
{
    RecordedHistory history = RecordedHistory.Load(result.GetValue(file)!);
    RunReport.Write(history, Console.Out);
    return ToolArguments.Check(history, Console.Out);
});

return await new RootCommand("kvstore robustness harness (issue 11)") { run, check }.Parse(args).InvokeAsync();
