using System.Text;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace KvStore.KvBench.Commands;

/// <summary><c>kvbench range key [end-range]</c>: etcd's <c>benchmark range</c>.</summary>
internal sealed class RangeCommand : IBenchCommand
{
    public string Name => "range";

    public string Usage => "range key [end-range] [flags]";

    public string Summary => "Benchmark range";

    public IReadOnlyList<FlagSpec> Flags { get; } =
    [
        new("total", "10000", "Total number of range requests"),
        new("consistency", "l", "Linearizable(l) or Serializable(s)"),
        new("limit", "0", "Maximum keys per response (0 is no limit)"),
        new("rate", "0", "Maximum range requests per second (0 is no limit)"),
    ];

    public IBenchmark Parse(ParsedFlags flags)
    {
        if (flags.Positional.Count is 0 or > 2)
        {
            throw new UsageException("range takes a key and an optional end-range");
        }

        var serializable = flags.String("consistency") switch
        {
            "l" => false,
            "s" => true,
            var other => throw new UsageException($"--consistency must be l or s, got \"{other}\""),
        };
        var key = flags.Positional[0];
        var end = flags.Positional.Count == 2 ? flags.Positional[1] : "";
        return new RangeBenchmark(flags.Int("total", 1), key, end, serializable, flags.Int("limit", 0), flags.Int("rate", 0));
    }

    private sealed class RangeBenchmark(int total, string key, string end, bool serializable, int limit, int rate) : IBenchmark
    {
        public string Setting => (serializable ? "serializable" : "linearizable") + $" range of \"{key}\""
            + (end.Length == 0 ? "" : $" to \"{end}\"") + (limit > 0 ? $", limit {limit}" : "")
            + (rate > 0 ? $", rate {rate}/s" : "");

        public Task<RunResult> RunAsync(BenchContext context, CancellationToken ct)
        {
            var keyBytes = ByteString.CopyFrom(Encoding.UTF8.GetBytes(key));
            var endBytes = ByteString.CopyFrom(Encoding.UTF8.GetBytes(end));
            var workers = new IRequestWorker[context.Clients];
            for (var c = 0; c < workers.Length; c++)
            {
                var request = new RangeRequest { Key = keyBytes, RangeEnd = endBytes, Serializable = serializable, Limit = limit };
                workers[c] = new RangeWorker(new KV.KVClient(context.Connections.ForClient(c)), request);
            }

            return LoadRunner.RunAsync("range", workers, total, rate, ct);
        }
    }

    /// <summary>Sends the same request every time; each client has its own instance.</summary>
    private sealed class RangeWorker(KV.KVClient client, RangeRequest request) : IRequestWorker
    {
        public Task ExecuteAsync(long index, CancellationToken ct) =>
            client.RangeAsync(request, new CallOptions(cancellationToken: ct)).ResponseAsync;
    }
}
