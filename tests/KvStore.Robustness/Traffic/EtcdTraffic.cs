using KvStore.Robustness.History;

namespace KvStore.Robustness.Traffic;

/// <summary>
/// etcd-style load on a small key space (etcd's robustness traffic): linearizable and serializable gets, ranges,
/// puts with unique values, deletes, multi-op txns, compare-and-set on mod_revision, puts with a lease, lease
/// grant/keep-alive/revoke, and (client 0) an occasional compaction; one watch per member over the key space.
/// </summary>
public sealed class EtcdTraffic : ITraffic
{
    public const string Prefix = "key/";
    private const int KeySpace = 10;
    private const long LeaseTtl = 60;

    public string Name => "etcd";

    public TimeSpan Quiet => TimeSpan.FromSeconds(2);

    public async Task RunAsync(TrafficContext context, int clients, CancellationToken stop)
    {
        long start = await StartRevisionAsync(context).ConfigureAwait(false);
        var watchers = context.Members.Select((_, m) =>
            new WatchFollower(context, clients + m, m, Prefix, TrafficContext.PrefixEnd(Prefix), prevKv: true).RunAsync(start, stop));
        var loops = Enumerable.Range(0, clients).Select(c => Task.Run(() => ClientLoopAsync(context, c, stop), CancellationToken.None));
        await Task.WhenAll(watchers.Concat(loops)).ConfigureAwait(false);
    }

    /// <summary>Where the watches start: right after the newest revision when the run begins.</summary>
    private static async Task<long> StartRevisionAsync(TrafficContext context)
    {
        foreach (MemberChannel m in context.Members)
        {
            try
            {
                return (await Wire.SendAsync(m, new RangeRequest("a"), DateTime.UtcNow.AddSeconds(10)).ConfigureAwait(false)).Revision + 1;
            }
            catch (global::Grpc.Core.RpcException)
            {
            }
        }
        return 1;
    }

    private static async Task ClientLoopAsync(TrafficContext context, int id, CancellationToken stop)
    {
        RecordingClient client = context.Client(id);
        Random random = context.Random(id);
        long puts = 0;
        long lease = 0;
        long compacted = 0;
        string Key() => Prefix + random.Next(KeySpace);
        string Value() => $"c{id}-{++puts}";

        while (!stop.IsCancellationRequested)
        {
            int roll = random.Next(100);
            switch (roll)
            {
                case < 20:
                    await client.SendAsync(new RangeRequest(Key())).ConfigureAwait(false);
                    break;
                case < 28:
                    await client.SendAsync(new RangeRequest(Key(), Serializable: true)).ConfigureAwait(false);
                    break;
                case < 34:
                    await client.SendAsync(new RangeRequest(Prefix, TrafficContext.PrefixEnd(Prefix), Serializable: roll == 33)).ConfigureAwait(false);
                    break;
                case < 54:
                    await client.SendAsync(new PutRequest(Key(), Value())).ConfigureAwait(false);
                    break;
                case < 59:
                    await client.SendAsync(roll == 58 ? new DeleteRequest(Prefix + "8", Prefix + "9") : new DeleteRequest(Key())).ConfigureAwait(false);
                    break;
                case < 67:
                    int a = random.Next(KeySpace), b = (a + 1 + random.Next(KeySpace - 1)) % KeySpace; // distinct: etcd rejects a txn that puts one key twice
                    await client.SendAsync(MultiOpTxn(Prefix + a, Prefix + b, Value(), Value())).ConfigureAwait(false);
                    break;
                case < 80:
                    await CompareAndSetAsync(client, Key(), Value()).ConfigureAwait(false);
                    break;
                case < 86:
                    if (lease == 0) lease = await GrantAsync(client).ConfigureAwait(false);
                    else await client.SendAsync(new PutRequest(Key(), Value(), lease)).ConfigureAwait(false);
                    break;
                case < 91:
                    if (lease != 0) await client.SendAsync(new LeaseKeepAliveRequest(lease)).ConfigureAwait(false);
                    break;
                case < 95:
                    if (lease != 0 && await client.SendAsync(new LeaseRevokeRequest(lease)).ConfigureAwait(false) is not null) lease = 0;
                    break;
                default:
                    if (id == 0 && client.LastRevision - 100 > compacted)
                    {
                        compacted = client.LastRevision - 100;
                        await client.SendAsync(new CompactRequest(compacted)).ConfigureAwait(false);
                    }
                    else
                    {
                        await client.SendAsync(new RangeRequest(Key())).ConfigureAwait(false);
                    }
                    break;
            }
        }
    }

    /// <summary>Two puts when the first key is absent, else a delete of the second and a read of the first.</summary>
    private static TxnRequest MultiOpTxn(string a, string b, string va, string vb) =>
        new([new Compare(a, CompareTarget.Version, CompareResult.Equal, 0)],
            [new PutRequest(a, va), new PutRequest(b, vb)],
            [new DeleteRequest(b), new RangeRequest(a)]);

    /// <summary>Reads the key, then writes it only if its mod_revision is still the one read (0: still absent).</summary>
    private static async Task CompareAndSetAsync(RecordingClient client, string key, string value)
    {
        if (await client.SendAsync(new RangeRequest(key)).ConfigureAwait(false) is not RangeResponse read) return;
        long mod = read.Kvs.Count > 0 ? read.Kvs[0].ModRevision : 0;
        await client.SendAsync(new TxnRequest([new Compare(key, CompareTarget.Mod, CompareResult.Equal, mod)],
            [new PutRequest(key, value)], [new RangeRequest(key)])).ConfigureAwait(false);
    }

    private static async Task<long> GrantAsync(RecordingClient client) =>
        await client.SendAsync(new LeaseGrantRequest(LeaseTtl)).ConfigureAwait(false) is LeaseGrantResponse g ? g.Id : 0;
}
