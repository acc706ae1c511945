using System.Collections.Concurrent;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace KvStore.Server.Tests;

/// <summary>
/// SIGKILL of a real kvstore process while it writes with a tiny --snapshot-count (so a snapshot is taken
/// every few batches and the kill lands during or just after one): every acknowledged put is there after the
/// restart, and the WAL was really compacted in between.
/// </summary>
public class SnapshotCrashTests
{
    [Fact]
    public async Task SigkillDuringSnapshotsLosesNoAcknowledgedWrite()
    {
        string root = Path.Combine(Path.GetTempPath(), "kvstore-snapshot-crash", Guid.NewGuid().ToString("N"));
        var acknowledged = new ConcurrentDictionary<string, string>();
        var random = new Random(Environment.TickCount);
        try
        {
            var proc = KvStoreProcess.Start(root);
            try
            {
                for (int cycle = 0; cycle < 3; cycle++)
                {
                    int target = acknowledged.Count + random.Next(150, 400);
                    await WriteUntilKilledAsync(proc, cycle, acknowledged, target);
                    string output = proc.Output;
                    proc.Kill();
                    proc = KvStoreProcess.Start(root);
                    await AssertAllPresentAsync(proc, acknowledged, $"after kill {cycle + 1}");
                    if (cycle == 2) Assert.Contains("took raft snapshot", output + proc.Output, StringComparison.Ordinal);
                }
            }
            finally
            {
                proc.Kill();
            }
            Assert.True(File.Exists(Path.Combine(root, "data", "member", "snap", "snapshot")));
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Four writers put distinct keys until <paramref name="target"/> puts are acknowledged, then return while they still write.</summary>
    private static async Task WriteUntilKilledAsync(KvStoreProcess proc, int cycle, ConcurrentDictionary<string, string> acknowledged, int target)
    {
        using var stop = new CancellationTokenSource();
        using GrpcChannel channel = proc.Channel();
        var kv = new KV.KVClient(channel);
        async Task Writer(int w)
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                string key = $"c{cycle}/w{w}/{i:D6}", value = $"{key}:{new string('x', 100)}";
                try
                {
                    await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) },
                        deadline: DateTime.UtcNow.AddSeconds(30));
                }
                catch (RpcException)
                {
                    return; // the process is gone: this put was never acknowledged
                }
                acknowledged[key] = value;
            }
        }
        Task[] writers = Enumerable.Range(0, 4).Select(w => Task.Run(() => Writer(w))).ToArray();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (acknowledged.Count < target && DateTime.UtcNow < deadline && !writers.All(t => t.IsCompleted)) await Task.Delay(5);
        Assert.True(acknowledged.Count >= target, $"only {acknowledged.Count} of {target} puts acknowledged:\n{proc.Output}");
        proc.Kill(); // SIGKILL while the writers are mid-flight
        await stop.CancelAsync();
        await Task.WhenAll(writers);
    }

    private static async Task AssertAllPresentAsync(KvStoreProcess proc, ConcurrentDictionary<string, string> acknowledged, string when)
    {
        using GrpcChannel channel = proc.Channel();
        var kv = new KV.KVClient(channel);
        var found = new Dictionary<string, string>();
        foreach (string prefix in acknowledged.Keys.Select(k => k[..(k.IndexOf('/', 3) + 1)]).Distinct())
        {
            RangeResponse r = await kv.RangeAsync(new RangeRequest
            {
                Key = ByteString.CopyFromUtf8(prefix),
                RangeEnd = ByteString.CopyFromUtf8(prefix[..^1] + "0"), // '/' + 1
            });
            foreach (var item in r.Kvs) found[item.Key.ToStringUtf8()] = item.Value.ToStringUtf8();
        }
        var missing = acknowledged.Where(a => !found.TryGetValue(a.Key, out string? v) || v != a.Value).Select(a => a.Key).ToList();
        Assert.True(missing.Count == 0, $"{when}: {missing.Count} of {acknowledged.Count} acknowledged puts lost, e.g. {string.Join(", ", missing.Take(5))}");
    }

    /// <summary>One kvstore process (dotnet kvstore.dll) on free loopback ports over a fixed data dir.</summary>
    private sealed class KvStoreProcess
    {
        private readonly ChildProcess _process;

        private KvStoreProcess(string root)
        {
            ClientUrl = $"http://127.0.0.1:{Ports.Free()}";
            string peerUrl = $"http://127.0.0.1:{Ports.Free()}";
            _process = ChildProcess.KvStore(
            [
                "--data-dir", Path.Combine(root, "data"), "--snapshot-count", "20",
                "--listen-client-urls", ClientUrl, "--advertise-client-urls", ClientUrl,
                "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
                "--initial-cluster", "default=" + peerUrl,
            ]);
        }

        public string ClientUrl { get; }

        public string Output => _process.Output;

        public static KvStoreProcess Start(string root)
        {
            var p = new KvStoreProcess(root);
            if (p._process.WaitFor(SingleMember.ReadyLine, TimeSpan.FromSeconds(90))) return p;
            string output = p.Output;
            p.Kill();
            throw new InvalidOperationException("kvstore did not get ready:\n" + output);
        }

        public GrpcChannel Channel() => GrpcChannel.ForAddress(ClientUrl);

        /// <summary>SIGKILL, then wait for the exit.</summary>
        public void Kill()
        {
            _process.KillHard();
            _process.Dispose();
        }
    }
}
