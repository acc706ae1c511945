using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Server;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Benchmarks;

/// <summary>
/// The server's put path without the transport: a real single-member <see cref="EtcdServer"/> (DotNext Raft,
/// WAL with fsync, applier, MvccStore, FASTER) in a temp dir, CLIENTS concurrent callers of ProposeAsync with
/// 256-byte puts on sequential keys (with LEASE = lease, every put attached to one lease). Prints puts/s, process CPU microseconds per put and bytes allocated per put
/// (what gRPC and Kestrel add on top is measured by tools/bench-vs-etcd.sh).
/// <code>dotnet benchmarks/KvStore.Benchmarks/bin/Release/net10.0/KvStore.Benchmarks.dll propose [total] [clients] [rounds] [lease]</code>
/// </summary>
public static class ProposeBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        int total = args.Length > 1 ? int.Parse(args[1]) : 50_000;
        int clients = args.Length > 2 ? int.Parse(args[2]) : 100;
        int rounds = args.Length > 3 ? int.Parse(args[3]) : 3;
        bool leased = args.Length > 4 && args[4] == "lease";
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        var config = new ServerConfig
        {
            DataDir = Path.Combine(Path.GetTempPath(), "kvstore-propose-bench", Guid.NewGuid().ToString("N")),
            ListenPeerUrls = [new($"http://127.0.0.1:{port}")],
            InitialAdvertisePeerUrls = [new($"http://127.0.0.1:{port}")],
            InitialCluster = $"default=http://127.0.0.1:{port}",
        };
        EtcdServer server = await EtcdServer.StartAsync(config, NullLoggerFactory.Instance, CancellationToken.None);
        try
        {
            while (!server.IsLeader) await Task.Delay(10);
            ByteString value = ByteString.CopyFrom(new byte[256]);
            long lease = 0;
            if (leased)
            {
                var grant = new InternalRaftRequest { LeaseGrant = new LeaseGrantRequest { ID = 1, TTL = 3600 } };
                lease = ((LeaseGrantResponse)(await server.ProposeAsync(grant, CancellationToken.None)).Response!).ID;
            }
            long next = 0;
            var latencies = new long[total + clients];
            int done = 0;
            async Task Client(int count)
            {
                for (int i = 0; i < count; i++)
                {
                    long started = Stopwatch.GetTimestamp();
                    long k = Interlocked.Increment(ref next);
                    var put = new PutRequest { Key = ByteString.CopyFromUtf8(k.ToString("D8")), Value = value, Lease = lease };
                    ProposeResult r = await server.ProposeAsync(new InternalRaftRequest { Put = put }, CancellationToken.None);
                    if (r.Response is null) throw new InvalidOperationException($"put failed: {r.Error} {r.MvccError}");
                    int slot = Interlocked.Increment(ref done) - 1;
                    if (slot < latencies.Length) latencies[slot] = Stopwatch.GetTimestamp() - started;
                }
            }
            async Task Run(int n)
            {
                var tasks = new Task[clients];
                for (int c = 0; c < clients; c++) tasks[c] = Task.Run(() => Client(n / clients));
                await Task.WhenAll(tasks);
            }
            await Run(Math.Min(total, 10_000)); // warm-up
            var process = Process.GetCurrentProcess();
            for (int round = 0; round < rounds; round++)
            {
                process.Refresh();
                TimeSpan cpu0 = process.TotalProcessorTime;
                long alloc0 = GC.GetTotalAllocatedBytes(precise: true);
                int gc0 = GC.CollectionCount(0), gc2 = GC.CollectionCount(2);
                TimeSpan pause0 = GC.GetTotalPauseDuration();
                done = 0;
                var sw = Stopwatch.StartNew();
                await Run(total);
                sw.Stop();
                process.Refresh();
                double cpuUs = (process.TotalProcessorTime - cpu0).TotalMicroseconds / total;
                long allocPer = (GC.GetTotalAllocatedBytes(precise: true) - alloc0) / total;
                long[] sorted = latencies[..Math.Min(done, latencies.Length)];
                Array.Sort(sorted);
                double Ms(double q) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))] * 1000.0 / Stopwatch.Frequency;
                Console.WriteLine($"propose: {total / sw.Elapsed.TotalSeconds:F0} puts/s, {cpuUs:F1} us CPU/put, {allocPer} B allocated/put, " +
                                  $"p50 {Ms(0.5):F1} ms, p99 {Ms(0.99):F1} ms, p99.9 {Ms(0.999):F1} ms, max {Ms(1):F1} ms, " +
                                  $"gen0 {GC.CollectionCount(0) - gc0}, gen2 {GC.CollectionCount(2) - gc2}, GC pauses {(GC.GetTotalPauseDuration() - pause0).TotalMilliseconds:F0} ms, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
            }
        }
        finally
        {
            await server.DisposeAsync();
            try { Directory.Delete(config.DataDir, recursive: true); } catch (IOException) { }
        }
        return 0;
    }
}
