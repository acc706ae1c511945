using System.Text.Json;
using KvStore.ApiServerBench;

Options options;
try
{
    options = Options.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"apiserver-bench: {e.Message}\n{Options.Usage}");
    return 2;
}

using var http = Http.Client(options.Server);
var report = new Dictionary<string, object?>
{
    ["server"] = options.Server.ToString(),
    ["pods"] = options.Pods,
};
await Population.EnsureAsync(http, options).ConfigureAwait(false);
report["rssAfterPodsMiB"] = Memory.ResidentMiB(options.ServerPid);
report["list"] = await Lists.MeasureAsync(http, options).ConfigureAwait(false);
report["watch"] = await Watches.MeasureAsync(options).ConfigureAwait(false);
Console.WriteLine(options.Json
    ? JsonSerializer.Serialize(report)
    : string.Join('\n', report.Select(kv => $"{kv.Key}: {(kv.Value is string or int or long or double or null ? kv.Value : JsonSerializer.Serialize(kv.Value))}")));
return 0;
