using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace KvStore.KvBench.Commands;

/// <summary><c>kvbench put</c>: etcd's <c>benchmark put</c>.</summary>
internal sealed class PutCommand : IBenchCommand
{
    public string Name => "put";

    public string Usage => "put [flags]";

    public string Summary => "Benchmark put";

    public IReadOnlyList<FlagSpec> Flags { get; } =
    [
        new("total", "10000", "Total number of put requests"),
        new("key-size", "8", "Key size of put request"),
        new("val-size", "8", "Value size of put request"),
        new("key-space-size", "1", "Maximum possible keys"),
        new("sequential-keys", "false", "Use sequential keys", IsBool: true),
        new("rate", "0", "Maximum puts per second (0 is no limit)"),
    ];

    public IBenchmark Parse(ParsedFlags flags)
    {
        BenchContext.ExpectPositional(flags, 0);
        var keys = new KeySpace(flags.Int("key-size", 1), flags.Int("key-space-size"), flags.Bool("sequential-keys"));
        return new PutBenchmark(flags.Int("total", 1), keys, flags.Int("val-size", 0), flags.Int("rate", 0));
    }

    private sealed class PutBenchmark(int total, KeySpace keys, int valueSize, int rate) : IBenchmark
    {
        public string Setting => $"key-size {keys.KeySize}, val-size {valueSize}, key-space-size {keys.Size}, "
            + (keys.Sequential ? "sequential keys" : "random keys") + (rate > 0 ? $", rate {rate}/s" : "");

        public Task<RunResult> RunAsync(BenchContext context, CancellationToken ct)
        {
            var value = UnsafeByteOperations.UnsafeWrap(BenchContext.RandomBytes(valueSize, seed: 1));
            var workers = new IRequestWorker[context.Clients];
            for (var c = 0; c < workers.Length; c++)
            {
                workers[c] = new PutWorker(new KV.KVClient(context.Connections.ForClient(c)), keys, value, new Random(c + 1));
            }

            return LoadRunner.RunAsync("put", workers, total, rate, ct);
        }
    }

    private sealed class PutWorker : IRequestWorker
    {
        private readonly KV.KVClient client;
        private readonly KeySpace keys;
        private readonly Random random;
        private readonly byte[] key;
        private readonly PutRequest request;

        public PutWorker(KV.KVClient client, KeySpace keys, ByteString value, Random random)
        {
            this.client = client;
            this.keys = keys;
            this.random = random;
            key = new byte[keys.KeySize];
            // The request wraps this worker's key buffer; it is rewritten only between calls.
            request = new PutRequest { Key = UnsafeByteOperations.UnsafeWrap(key), Value = value };
        }

        public Task ExecuteAsync(long index, CancellationToken ct)
        {
            KeySpace.Write(key, keys.Pick(index, random));
            return client.PutAsync(request, new CallOptions(cancellationToken: ct)).ResponseAsync;
        }
    }
}
