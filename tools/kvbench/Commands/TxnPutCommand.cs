using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace KvStore.KvBench.Commands;

/// <summary>
/// <c>kvbench txn-put</c>: etcd 3.4's <c>benchmark txn-put</c>: each txn has no compares and <c>--txn-ops</c>
/// puts, to key numbers (i * txn-ops + j) mod key-space-size.
/// </summary>
internal sealed class TxnPutCommand : IBenchCommand
{
    public string Name => "txn-put";

    public string Usage => "txn-put [flags]";

    public string Summary => "Benchmark txn-put";

    public IReadOnlyList<FlagSpec> Flags { get; } =
    [
        new("total", "10000", "Total number of txn requests"),
        new("key-size", "8", "Key size of txn put"),
        new("val-size", "8", "Value size of txn put"),
        new("txn-ops", "1", "Number of puts per txn"),
        new("key-space-size", "1", "Maximum possible keys"),
        new("rate", "0", "Maximum txns per second (0 is no limit)"),
    ];

    public IBenchmark Parse(ParsedFlags flags)
    {
        BenchContext.ExpectPositional(flags, 0);
        var keys = new KeySpace(flags.Int("key-size", 1), flags.Int("key-space-size"), sequential: true);
        var ops = flags.Int("txn-ops");
        if (ops <= 0)
        {
            throw new UsageException($"expected positive --txn-ops, got ({ops})");
        }

        if (ops > keys.Size)
        {
            throw new UsageException(
                $"expected --txn-ops no larger than --key-space-size, got txn-ops({ops}) key-space-size({keys.Size})");
        }

        return new TxnPutBenchmark(flags.Int("total", 1), keys, ops, flags.Int("val-size", 0), flags.Int("rate", 0));
    }

    private sealed class TxnPutBenchmark(int total, KeySpace keys, int ops, int valueSize, int rate) : IBenchmark
    {
        public string Setting => $"txn-ops {ops}, key-size {keys.KeySize}, val-size {valueSize}, key-space-size {keys.Size}"
            + (rate > 0 ? $", rate {rate}/s" : "");

        public Task<RunResult> RunAsync(BenchContext context, CancellationToken ct)
        {
            var value = UnsafeByteOperations.UnsafeWrap(BenchContext.RandomBytes(valueSize, seed: 1));
            var workers = new IRequestWorker[context.Clients];
            for (var c = 0; c < workers.Length; c++)
            {
                workers[c] = new TxnPutWorker(new KV.KVClient(context.Connections.ForClient(c)), keys, ops, value);
            }

            return LoadRunner.RunAsync("txn-put", workers, total, rate, ct);
        }
    }

    private sealed class TxnPutWorker : IRequestWorker
    {
        private readonly KV.KVClient client;
        private readonly KeySpace keys;
        private readonly byte[][] opKeys;
        private readonly TxnRequest request = new();

        public TxnPutWorker(KV.KVClient client, KeySpace keys, int ops, ByteString value)
        {
            this.client = client;
            this.keys = keys;
            opKeys = new byte[ops][];
            for (var j = 0; j < ops; j++)
            {
                // Each put wraps its own key buffer, rewritten only between calls.
                opKeys[j] = new byte[keys.KeySize];
                request.Success.Add(new RequestOp
                {
                    RequestPut = new PutRequest { Key = UnsafeByteOperations.UnsafeWrap(opKeys[j]), Value = value },
                });
            }
        }

        public Task ExecuteAsync(long index, CancellationToken ct)
        {
            for (var j = 0; j < opKeys.Length; j++)
            {
                KeySpace.Write(opKeys[j], ((index * opKeys.Length) + j) % keys.Size);
            }

            return client.TxnAsync(request, new CallOptions(cancellationToken: ct)).ResponseAsync;
        }
    }
}
