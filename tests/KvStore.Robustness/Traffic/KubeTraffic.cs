using System.Collections.Concurrent;
using KvStore.Robustness.History;

namespace KvStore.Robustness.Traffic;

/// <summary>
/// Kubernetes-style load, as kube-apiserver drives etcd: each client lists the pods prefix and watches it from the
/// list revision + 1 (relisting after a compaction), creates pods with a create_revision == 0 txn, updates and deletes
/// them with a mod_revision txn on what its watch cache holds, and writes events under a short TTL lease;
/// client 0 compacts now and then to a revision a few seconds old, as the apiserver's compactor does.
/// </summary>
public sealed class KubeTraffic : ITraffic
{
    public const string Pods = "/registry/pods/default/";
    public const string Events = "/registry/events/default/";
    private const int PodSpace = 10;
    private const long EventTtl = 5;
    private static readonly TimeSpan LeaseReuse = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan CompactEvery = TimeSpan.FromSeconds(5);

    public string Name => "kube";

    /// <summary>An event lease expires at most its TTL plus an election timeout (a new leader extends leases) after the last grant.</summary>
    public TimeSpan Quiet => TimeSpan.FromSeconds(EventTtl + 2);

    public Task RunAsync(TrafficContext context, int clients, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => new Controller(context, c).RunAsync(stop), CancellationToken.None)));

    /// <summary>One client: an informer (list + watch into a cache) and a writer using that cache.</summary>
    private sealed class Controller(TrafficContext context, int id)
    {
        private readonly RecordingClient _client = context.Client(id);
        private readonly Random _random = context.Random(id);
        private readonly ConcurrentDictionary<string, long> _cache = new();
        private long _writes;
        private long _lease;
        private DateTime _leaseGranted;
        private DateTime _lastCompact = DateTime.UtcNow;
        private long _compactTarget;

        public async Task RunAsync(CancellationToken stop)
        {
            Task informer = Task.Run(() => InformAsync(stop), CancellationToken.None);
            while (!stop.IsCancellationRequested)
            {
                int roll = _random.Next(100);
                string pod = Pods + "pod-" + _random.Next(PodSpace);
                switch (roll)
                {
                    case < 25:
                        await CreateAsync(pod).ConfigureAwait(false);
                        break;
                    case < 55:
                        await UpdateAsync().ConfigureAwait(false);
                        break;
                    case < 65:
                        await DeleteAsync().ConfigureAwait(false);
                        break;
                    case < 75:
                        await _client.SendAsync(new RangeRequest(pod)).ConfigureAwait(false);
                        break;
                    case < 80:
                        await _client.SendAsync(new RangeRequest(Pods, TrafficContext.PrefixEnd(Pods))).ConfigureAwait(false);
                        break;
                    default:
                        await EventAsync().ConfigureAwait(false);
                        break;
                }
                if (id == 0) await MaybeCompactAsync().ConfigureAwait(false);
            }
            await informer.ConfigureAwait(false);
        }

        private string Value() => $"c{id}-{++_writes}";

        /// <summary>List, then watch from the list's revision + 1; again after the watch is cancelled by a compaction.</summary>
        private async Task InformAsync(CancellationToken stop)
        {
            var lister = new RecordingClient(1000 + id, context.Members, context.Recorder, context.Deadline);
            while (!stop.IsCancellationRequested)
            {
                if (await lister.SendAsync(new RangeRequest(Pods, TrafficContext.PrefixEnd(Pods))).ConfigureAwait(false) is not RangeResponse list)
                {
                    await Task.Delay(200, CancellationToken.None).ConfigureAwait(false);
                    continue;
                }
                _cache.Clear();
                foreach (KeyValue kv in list.Kvs) _cache[kv.Key] = kv.ModRevision;
                var watch = new WatchFollower(context, 1000 + id, lister.Member.Member, Pods, TrafficContext.PrefixEnd(Pods), prevKv: true)
                {
                    OnEvent = e =>
                    {
                        if (e.Type == EventType.Put) _cache[e.Kv.Key] = e.Kv.ModRevision;
                        else _cache.TryRemove(e.Kv.Key, out _);
                    },
                };
                await watch.RunAsync(list.Revision + 1, stop).ConfigureAwait(false);
            }
        }

        private async Task CreateAsync(string pod)
        {
            var txn = new TxnRequest([new Compare(pod, CompareTarget.Create, CompareResult.Equal, 0)], [new PutRequest(pod, Value())], [new RangeRequest(pod)]);
            await _client.SendAsync(txn).ConfigureAwait(false);
        }

        /// <summary>GuaranteedUpdate: write only if the pod is still at the mod_revision the cache holds.</summary>
        private async Task UpdateAsync()
        {
            if (Pick() is not { } cached) return;
            var txn = new TxnRequest([new Compare(cached.Key, CompareTarget.Mod, CompareResult.Equal, cached.Value)],
                [new PutRequest(cached.Key, Value())], [new RangeRequest(cached.Key)]);
            await _client.SendAsync(txn).ConfigureAwait(false);
        }

        private async Task DeleteAsync()
        {
            if (Pick() is not { } cached) return;
            var txn = new TxnRequest([new Compare(cached.Key, CompareTarget.Mod, CompareResult.Equal, cached.Value)],
                [new DeleteRequest(cached.Key)], [new RangeRequest(cached.Key)]);
            await _client.SendAsync(txn).ConfigureAwait(false);
        }

        private KeyValuePair<string, long>? Pick()
        {
            KeyValuePair<string, long>[] pods = _cache.ToArray();
            return pods.Length == 0 ? null : pods[_random.Next(pods.Length)];
        }

        /// <summary>An event under a lease shared for a couple of seconds (the apiserver's lease reuse), expiring after its TTL.</summary>
        private async Task EventAsync()
        {
            if (_lease == 0 || DateTime.UtcNow - _leaseGranted > LeaseReuse)
            {
                if (await _client.SendAsync(new LeaseGrantRequest(EventTtl)).ConfigureAwait(false) is not LeaseGrantResponse granted) return;
                _lease = granted.Id;
                _leaseGranted = DateTime.UtcNow;
            }
            var txn = new TxnRequest([], [new PutRequest(Events + $"ev-{id}-{_writes + 1}", Value(), _lease)], []);
            await _client.SendAsync(txn).ConfigureAwait(false);
        }

        /// <summary>Compacts to the newest revision seen at the previous round (as kube-apiserver's compactor does).</summary>
        private async Task MaybeCompactAsync()
        {
            if (DateTime.UtcNow - _lastCompact < CompactEvery) return;
            _lastCompact = DateTime.UtcNow;
            if (_compactTarget > 0) await _client.SendAsync(new CompactRequest(_compactTarget)).ConfigureAwait(false);
            _compactTarget = _client.LastRevision;
        }
    }
}
