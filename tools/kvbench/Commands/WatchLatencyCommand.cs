using System.Diagnostics;
using System.Threading.Channels;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace KvStore.KvBench.Commands;

/// <summary>
/// <c>kvbench watch-latency</c>: etcd's <c>benchmark watch-latency</c>. One watch stream per client (spread over
/// the connections) watches one key; a separate connection puts that key at <c>--put-rate</c>; each sample is the
/// time from the put's response until a watcher receives its event (0 when the event came first).
/// </summary>
internal sealed class WatchLatencyCommand : IBenchCommand
{
    public string Name => "watch-latency";

    public string Usage => "watch-latency [flags]";

    public string Summary => "Benchmark watch latency";

    public IReadOnlyList<FlagSpec> Flags { get; } =
    [
        new("total", "10000", "Total number of put requests"),
        new("put-rate", "100", "Number of keys to put per second"),
        new("key-size", "32", "Key size of watch response"),
        new("val-size", "32", "Value size of watch response"),
    ];

    public IBenchmark Parse(ParsedFlags flags)
    {
        BenchContext.ExpectPositional(flags, 0);
        return new WatchLatencyBenchmark(
            flags.Int("total", 1), flags.Int("put-rate", 1), flags.Int("key-size", 1), flags.Int("val-size", 0));
    }

    private sealed class WatchLatencyBenchmark(int total, int putRate, int keySize, int valueSize) : IBenchmark
    {
        public string Setting => $"{total} puts at {putRate}/s, key-size {keySize}, val-size {valueSize}, one watch stream per client";

        public async Task<RunResult> RunAsync(BenchContext context, CancellationToken ct)
        {
            var key = UnsafeByteOperations.UnsafeWrap(BenchContext.RandomBytes(keySize, seed: Environment.TickCount));
            var value = UnsafeByteOperations.UnsafeWrap(BenchContext.RandomBytes(valueSize, seed: 2));
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var watchers = new Watcher[context.Clients];
            for (var c = 0; c < watchers.Length; c++)
            {
                watchers[c] = await Watcher.StartAsync(new Watch.WatchClient(context.Connections.ForClient(c)), key, stop.Token)
                    .ConfigureAwait(false);
            }

            using var putChannel = Connections.OpenChannel(context.Endpoints[0]);
            var putClient = new KV.KVClient(putChannel);
            var put = new PutRequest { Key = key, Value = value };
            var stats = new ClientStats();
            var ticksPerPut = (double)Stopwatch.Frequency / putRate;
            var start = Stopwatch.GetTimestamp();
            try
            {
                for (var i = 0; i < total && !ct.IsCancellationRequested; i++)
                {
                    var wait = start + (long)(i * ticksPerPut) - Stopwatch.GetTimestamp();
                    if (wait > 0)
                    {
                        await Task.Delay(TimeSpan.FromTicks(wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency), ct).ConfigureAwait(false);
                    }

                    try
                    {
                        await putClient.PutAsync(put, new CallOptions(cancellationToken: ct)).ResponseAsync.ConfigureAwait(false);
                    }
                    catch (RpcException e) when (!ct.IsCancellationRequested)
                    {
                        stats.RecordError(e);
                        continue;
                    }

                    var acknowledged = Stopwatch.GetTimestamp();
                    foreach (var watcher in watchers)
                    {
                        var received = await watcher.Events.ReadAsync(ct).ConfigureAwait(false);
                        stats.Latencies.RecordValue(Report.ToMicroseconds(Math.Max(0, received - acknowledged)));
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            catch (ChannelClosedException e)
            {
                throw new InvalidOperationException("a watch stream ended before the benchmark did", e.InnerException ?? e);
            }

            var elapsed = Stopwatch.GetElapsedTime(start);
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var watcher in watchers)
            {
                await watcher.DisposeAsync().ConfigureAwait(false);
            }

            return RunResult.Merge("watch-latency", [stats], elapsed, ct.IsCancellationRequested);
        }

    }

    /// <summary>One watch stream; its receive loop queues the arrival time of every event.</summary>
    private sealed class Watcher : IAsyncDisposable
    {
        private readonly AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call;
        private readonly Channel<long> events = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        private Task receiving = Task.CompletedTask;

        private Watcher(AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call) => this.call = call;

        public ChannelReader<long> Events => events.Reader;

        public static async Task<Watcher> StartAsync(Watch.WatchClient client, ByteString key, CancellationToken ct)
        {
            var watcher = new Watcher(client.Watch(new CallOptions(cancellationToken: ct)));
            await watcher.call.RequestStream.WriteAsync(
                new WatchRequest { CreateRequest = new WatchCreateRequest { Key = key } }, ct).ConfigureAwait(false);
            if (!await watcher.call.ResponseStream.MoveNext(ct).ConfigureAwait(false) || !watcher.call.ResponseStream.Current.Created)
            {
                throw new InvalidOperationException("the server did not confirm the watch");
            }

            watcher.receiving = watcher.ReceiveAsync(ct);
            return watcher;
        }

        private async Task ReceiveAsync(CancellationToken ct)
        {
            Exception? failure = null;
            try
            {
                while (await call.ResponseStream.MoveNext(ct).ConfigureAwait(false))
                {
                    var now = Stopwatch.GetTimestamp();
                    for (var e = 0; e < call.ResponseStream.Current.Events.Count; e++)
                    {
                        events.Writer.TryWrite(now);
                    }
                }
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                failure = e;
            }
            catch (Exception)
            {
                // Cancelled at the end of the run.
            }

            events.Writer.TryComplete(failure);
        }

        public async ValueTask DisposeAsync()
        {
            await receiving.ConfigureAwait(false);
            call.Dispose();
        }
    }
}
