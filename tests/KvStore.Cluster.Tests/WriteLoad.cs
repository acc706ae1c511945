using System.Collections.Concurrent;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace KvStore.Cluster.Tests;

/// <summary>
/// Several writers, each a <see cref="ClusterClient"/> starting on a different member, putting unique keys
/// (<c>&lt;prefix&gt;c&lt;writer&gt;/&lt;seq&gt;</c>) until stopped. Every put that got a response is recorded
/// as acknowledged; afterwards <see cref="VerifyAsync"/> checks each one is there, on every member.
/// </summary>
internal sealed class WriteLoad : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, string> _acknowledged = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _writers = [];
    private readonly List<ClusterClient> _clients = [];
    private int _attempted;
    private int _failed;

    public WriteLoad(TestCluster cluster, int writers, string prefix = "/load/")
    {
        Prefix = prefix;
        for (int w = 0; w < writers; w++)
        {
            var client = new ClusterClient(cluster.Members, w);
            _clients.Add(client);
            int writer = w;
            _writers.Add(Task.Run(() => WriteAsync(client, writer)));
        }
    }

    public string Prefix { get; }

    public int Acknowledged => _acknowledged.Count;
    public int Attempted => Volatile.Read(ref _attempted);
    public int Failed => Volatile.Read(ref _failed);
    public int Failovers => _clients.Sum(c => c.Failovers);

    /// <summary>Waits until at least <paramref name="more"/> further writes are acknowledged (or the time is up).</summary>
    public async Task<bool> WaitForProgressAsync(int more, TimeSpan timeout)
    {
        int target = Acknowledged + more;
        var deadline = DateTime.UtcNow + timeout;
        while (Acknowledged < target)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(100);
        }
        return true;
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_writers);
    }

    private async Task WriteAsync(ClusterClient client, int writer)
    {
        for (int seq = 0; !_stop.IsCancellationRequested; seq++)
        {
            string key = $"{Prefix}c{writer}/{seq:D7}", value = $"w{writer}-{seq}";
            Interlocked.Increment(ref _attempted);
            try
            {
                await client.PutAsync(key, value, total: TimeSpan.FromSeconds(30), cancellationToken: _stop.Token);
                _acknowledged[key] = value;
            }
            catch (RpcException) when (_stop.IsCancellationRequested)
            {
                return; // the put in flight when the load stopped: neither acknowledged nor failed
            }
            catch (RpcException)
            {
                Interlocked.Increment(ref _failed); // outcome unknown: may or may not be there
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// After the load: every acknowledged key is present with its value (a linearizable range through the cluster),
    /// every running member holds the same keys (serializable range on each), and all members' HashKV agree at one
    /// revision. Prints what it found; returns the number of acknowledged writes found.
    /// </summary>
    public async Task<int> VerifyAsync(TestCluster cluster, ITestOutputHelper output, string injected)
    {
        var reader = new ClusterClient(cluster.Members, 0);
        RangeResponse all = await reader.GetPrefixAsync(Prefix);
        var found = all.Kvs.ToDictionary(kv => kv.Key.ToStringUtf8(), kv => kv.Value.ToStringUtf8());
        int present = _acknowledged.Count(a => found.TryGetValue(a.Key, out string? v) && v == a.Value);
        output.WriteLine($"injected: {injected}");
        output.WriteLine($"writes: {Attempted} attempted (the last of each writer cut short by the stop), {Acknowledged} acknowledged, {Failed} failed (outcome unknown), " +
                         $"{Failovers} client failovers; keys found: {found.Count}; acknowledged found: {present}/{Acknowledged}");
        var missing = _acknowledged.Keys.Where(k => !found.ContainsKey(k)).Order(StringComparer.Ordinal).Take(10).ToList();
        Assert.True(missing.Count == 0, $"acknowledged writes lost: {string.Join(", ", missing)}");
        Assert.Equal(Acknowledged, present);

        long revision = all.Header.Revision;
        var hashes = await cluster.HashKvAsync(revision, TimeSpan.FromSeconds(90));
        output.WriteLine("hashkv at revision " + revision + ": " + string.Join(", ", hashes.Select(h => $"{h.Member.Name}={h.Hash:x8}")));
        if (hashes.Select(h => h.Hash).Distinct().Count() != 1)
        {
            output.WriteLine(await DescribeDivergenceAsync(cluster, revision));
            output.WriteLine(cluster.Logs(80));
        }
        Assert.True(hashes.Select(h => h.Hash).Distinct().Count() == 1, "members' HashKV differ at revision " + revision);
        Assert.Equal(cluster.Members.Count(m => m.IsRunning), hashes.Count);

        foreach (var m in cluster.Members.Where(m => m.IsRunning))
        {
            var local = await m.Kv.RangeAsync(new RangeRequest
            {
                Key = ByteString.CopyFromUtf8(Prefix), RangeEnd = ClusterClient.PrefixEnd(Prefix), Serializable = true, Revision = revision,
                CountOnly = true,
            }, deadline: DateTime.UtcNow.AddSeconds(30));
            Assert.True(found.Count == local.Count, $"{m.Name} holds {local.Count} keys at revision {revision}, the cluster {found.Count}");
        }
        return present;
    }

    /// <summary>What each member holds at the revision (serializable, local), and where it differs from the first.</summary>
    private async Task<string> DescribeDivergenceAsync(TestCluster cluster, long revision)
    {
        var views = new List<(string Name, Dictionary<string, string> Kvs, StatusResponse? Status)>();
        foreach (var m in cluster.Members.Where(m => m.IsRunning))
        {
            var r = await m.Kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("\0"), RangeEnd = ByteString.CopyFrom(0), Serializable = true, Revision = revision },
                deadline: DateTime.UtcNow.AddSeconds(30));
            views.Add((m.Name, r.Kvs.ToDictionary(kv => kv.Key.ToStringUtf8(), kv => $"{kv.Value.ToStringUtf8()}@{kv.ModRevision}"), await m.TryStatusAsync()));
        }
        var lines = new List<string> { $"divergence at revision {revision}:" };
        foreach (var (name, kvs, status) in views)
        {
            lines.Add($"  {name}: {kvs.Count} keys; raft index {status?.RaftIndex}, applied {status?.RaftAppliedIndex}, term {status?.RaftTerm}");
        }
        var first = views[0];
        foreach (var other in views.Skip(1))
        {
            // Keys on one side only first (the cause), then the earliest differing revisions.
            var onlyOne = first.Kvs.Keys.Except(other.Kvs.Keys).Concat(other.Kvs.Keys.Except(first.Kvs.Keys)).Order(StringComparer.Ordinal).Take(8)
                .Select(k => $"{k}: {first.Name}={first.Kvs.GetValueOrDefault(k)} {other.Name}={other.Kvs.GetValueOrDefault(k)}");
            var diff = first.Kvs.Keys.Intersect(other.Kvs.Keys).Where(k => first.Kvs[k] != other.Kvs[k])
                .OrderBy(k => long.Parse(first.Kvs[k][(first.Kvs[k].LastIndexOf('@') + 1)..])).Take(8)
                .Select(k => $"{k}: {first.Name}={first.Kvs[k]} {other.Name}={other.Kvs[k]}");
            lines.Add($"  {first.Name} vs {other.Name}: only one side: " + string.Join("; ", onlyOne) + " | earliest differing: " + string.Join("; ", diff));
        }
        return string.Join("\n", lines);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }
        _stop.Dispose();
    }
}
