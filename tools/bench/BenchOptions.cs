namespace KvStore.Bench;

/// <summary>
/// One invocation: which topologies and workloads, how many rounds, the requests per measured run (0: each workload's
/// own, or its quick total with <see cref="Quick"/>) and the unmeasured ones before it (-1: 5000, 200 when quick).
/// </summary>
internal sealed record BenchOptions
{
    public static readonly string[] Systems = ["etcd", "kvstore"];

    public IReadOnlyList<int> Members { get; init; } = [1, 3, 5];
    public IReadOnlyList<Workload> Workloads { get; init; } = Workload.All;
    public int Rounds { get; init; } = 2;
    public int Total { get; init; }
    public int Warmup { get; init; } = -1;
    public bool Quick { get; init; }
    public bool Resume { get; init; }
    public required string OutputDir { get; init; }
    public string? LoadgenBinary { get; init; }
    public string CommandLine { get; init; } = "bench";

    public int RequestsFor(Workload w) => Total > 0 ? Total : Quick ? w.QuickTotal : w.Total;

    public int WarmupFor(Workload w) => Math.Min(RequestsFor(w), Warmup >= 0 ? Warmup : Quick ? 200 : 5000);

    /// <summary>Topologies 1, 3 or 5 members ("1,3,5"): the issue's; an even one would only measure a weaker quorum.</summary>
    public static IReadOnlyList<int> ParseMembers(string list)
    {
        string[] parts = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var members = new List<int>();
        foreach (string p in parts)
        {
            if (!int.TryParse(p, out int m) || m is not (1 or 3 or 5))
            {
                throw new ArgumentException($"--members takes 1, 3 and 5, comma separated; got \"{list}\"");
            }
            if (!members.Contains(m)) members.Add(m);
        }
        return members.Count > 0 ? members : throw new ArgumentException("--members names no topology");
    }

    public BenchOptions Validated() => Rounds < 1 ? throw new ArgumentException($"--rounds must be at least 1, got {Rounds}")
        : Total < 0 ? throw new ArgumentException($"--total must not be negative, got {Total}")
        : this;
}
