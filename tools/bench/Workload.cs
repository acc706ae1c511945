namespace KvStore.Bench;

/// <summary>Which of issue 13's target rules a workload falls under (<see cref="Targets"/>).</summary>
internal enum TargetGroup
{
    None,
    OneClient,
    HundredClients,
    Mixed,
}

/// <summary>
/// One load, run the same way against both systems: loadgen's mode, clients and connections, and how many requests a
/// measured run has by default and in a <c>--quick</c> run. For <c>watch</c> a request is one event at one watcher.
/// </summary>
internal sealed record Workload(string Name, string Title, string Mode, int Clients, int Conns, int Total, int QuickTotal,
    TargetGroup Group, int Watchers = 0)
{
    /// <summary>The table, then watch fan-out and lease keep-alives.</summary>
    public static readonly IReadOnlyList<Workload> All =
    [
        new("put-1", "put, 1 client", "put", 1, 1, 10_000, 300, TargetGroup.OneClient),
        new("get-l-1", "linearizable get, 1 client", "range", 1, 1, 10_000, 300, TargetGroup.OneClient),
        new("put-100", "put, 100 clients", "put", 100, 10, 100_000, 2_000, TargetGroup.HundredClients),
        new("get-l-100", "linearizable get, 100 clients", "range", 100, 10, 100_000, 2_000, TargetGroup.HundredClients),
        new("get-s-100", "serializable get, 100 clients", "range-s", 100, 10, 100_000, 2_000, TargetGroup.HundredClients),
        new("txn-100", "txn compare-and-put, 100 clients", "txn", 100, 10, 50_000, 2_000, TargetGroup.HundredClients),
        new("mixed-8", "8 clients, 40% get / 40% put / 20% CAS", "mixed", 8, 8, 30_000, 1_000, TargetGroup.Mixed),
        new("watch-1000", "watch fan-out, 1,000 watchers, 1 putter (events)", "watch", 1, 10, 1_000_000, 20_000,
            TargetGroup.None, Watchers: 1000),
        new("lease-100", "lease keep-alive, 100 clients", "lease-keepalive", 100, 10, 100_000, 2_000, TargetGroup.None),
    ];

    /// <summary>"all", or names separated by commas, in the catalogue's order.</summary>
    public static IReadOnlyList<Workload> Parse(string list)
    {
        if (list.Trim() == "all") return All;
        string[] names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string[] unknown = [.. names.Where(n => All.All(w => w.Name != n))];
        if (unknown.Length > 0 || names.Length == 0)
        {
            throw new ArgumentException(
                $"unknown workload \"{string.Join(",", unknown)}\"; the workloads are {string.Join(", ", All.Select(w => w.Name))} (or all)");
        }
        return [.. All.Where(w => names.Contains(w.Name))];
    }

    /// <summary>loadgen's command line for a run of <paramref name="requests"/> requests against the endpoints (host:port).</summary>
    public IReadOnlyList<string> LoadgenArgs(IEnumerable<string> endpoints, int requests) =>
    [
        "-endpoints", string.Join(",", endpoints), "-mode", Mode, "-clients", $"{Clients}", "-conns", $"{Conns}",
        "-total", $"{LoadgenTotal(requests)}", "-json",
        .. Watchers > 0 ? (string[])["-watchers", $"{Watchers}"] : [],
    ];

    /// <summary>loadgen's -total: requests, or for watch the puts that deliver about that many events (at least one).</summary>
    public int LoadgenTotal(int requests) => Watchers > 0 ? Math.Max(1, requests / Watchers) : Math.Max(1, requests);
}
