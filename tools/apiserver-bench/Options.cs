using System.Globalization;

namespace KvStore.ApiServerBench;

/// <summary>The command line: --name value pairs with the defaults below.</summary>
internal sealed record Options(Uri Server, string Namespace, int Pods, int ListRuns, int Watchers, string WatchMode, int Nodes, int Updates,
    int UpdateRate, int? ServerPid, bool Json)
{
    public const string Usage = """
        apiserver-bench --server http://127.0.0.1:8080 [flags]
          --namespace bench      namespace the pods go to (created if missing; pods already there are reused)
          --pods 10000           pods to create before listing
          --list-runs 10         timed LISTs of each kind (resourceVersion=0 from the watch cache, unset from the store)
          --watchers 1000        concurrent watch streams
          --watch-mode all       all: every watcher watches every pod; node: watcher i watches spec.nodeName=node-(i mod nodes)
          --nodes 100            nodes the pods are spread over (spec.nodeName)
          --updates 1000         pod updates sent while the watchers listen (each carries its send time)
          --update-rate 50       updates per second
          --server-pid PID       the server process, for its resident memory (/proc/PID/status VmRSS)
          --output text|json
        """;

    public static Options Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length) throw new ArgumentException($"unexpected argument {args[i]}");
            values[args[i][2..]] = args[++i];
        }
        string Get(string name, string fallback) => values.Remove(name, out var v) ? v : fallback;
        int Int(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        var options = new Options(new Uri(Get("server", "http://127.0.0.1:8080")), Get("namespace", "bench"), Int("pods", 10000), Int("list-runs", 10),
            Int("watchers", 1000), Get("watch-mode", "all"), Int("nodes", 100), Int("updates", 1000), Int("update-rate", 50),
            values.ContainsKey("server-pid") ? Int("server-pid", 0) : null, Get("output", "text") == "json");
        if (values.Count > 0) throw new ArgumentException($"unknown flag --{values.Keys.First()}");
        if (options.WatchMode is not ("all" or "node")) throw new ArgumentException("--watch-mode is all or node");
        return options;
    }
}
