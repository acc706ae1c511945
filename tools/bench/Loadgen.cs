using System.Text.Json;
using KvStore.TestSupport;

namespace KvStore.Bench;

/// <summary>The Go clientv3 load generator (tools/loadgen): built once, then one process per run.</summary>
internal sealed class Loadgen(string binary)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromHours(1);

    public string Binary { get; } = binary;

    /// <summary>Builds it with tools/loadgen/build.sh (which installs Go and Debian's etcd source when missing).</summary>
    public static Loadgen Build(string repoRoot, string output)
    {
        string script = Path.Combine(repoRoot, "tools", "loadgen", "build.sh");
        (int code, string stdout, string stderr) = ChildProcess.Run("bash", [script, output], timeout: TimeSpan.FromMinutes(15));
        if (code != 0 || !File.Exists(output))
        {
            throw new BenchException($"{script} failed (exit {code}):\n{stdout}{stderr}");
        }
        return new Loadgen(output);
    }

    /// <summary>
    /// One run of <paramref name="requests"/> requests; a run with failed requests is still a result (its errors
    /// counted), a run that printed no result is a <see cref="BenchException"/>.
    /// </summary>
    public LoadgenResult Run(Workload workload, IEnumerable<string> endpoints, int requests)
    {
        (int code, string stdout, string stderr) = ChildProcess.Run(Binary, workload.LoadgenArgs(endpoints, requests), timeout: RunTimeout);
        string? line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith('{'));
        if (code is not (0 or 1) || line is null)
        {
            throw new BenchException($"loadgen {workload.Name} exited {code} without a result:\n{stdout}{stderr}");
        }
        return JsonSerializer.Deserialize<LoadgenResult>(line)
            ?? throw new BenchException($"loadgen {workload.Name} printed an empty result: {line}");
    }
}
