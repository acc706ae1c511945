using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using KvStore.Robustness.Traffic;
using Etcd = Etcdserverpb;

namespace KvStore.Robustness.Tests.Checkers;

/// <summary>
/// A small recorder for the checker's own test against real servers: clients send random etcd traffic (unique
/// values) through gRPC while a prefix watch with prev_kv runs; every request becomes an Operation of the history
/// (sent and converted by the harness's <see cref="Wire"/>).
/// The harness (issue 11) records the full traffic under faults; this only proves the checker's model of etcd.
/// </summary>
internal sealed class RecordedTraffic(string endpoint, int seed)
{
    private const string Prefix = "/r/";
    private const string PrefixEnd = "/r0";
    private readonly HistoryRecorder _recorder = new();

    public async Task<RecordedHistory> RunAsync(int clients, int operationsPerClient)
    {
        using var channel = GrpcChannel.ForAddress(endpoint);
        using var member = new MemberChannel(0, endpoint);
        using var stop = new CancellationTokenSource();
        var watch = WatchAsync(channel, stop.Token);
        // Traffic starts once the watch exists: a compaction before that would (rightly) cancel it.
        await _created.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => ClientAsync(member, c, operationsPerClient))));
        var kv = new Etcd.KV.KVClient(channel);
        var last = (await kv.RangeAsync(new Etcd.RangeRequest { Key = ByteString.CopyFromUtf8("x") })).Header.Revision;
        await WaitWatchedAsync(last);
        await stop.CancelAsync();
        _recorder.Add(await watch);
        return _recorder.Build("test", seed, "checker-model", 1, 1000, [await FinalStateAsync(channel)]);
    }

    private readonly TaskCompletionSource _created = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _watched;

    private async Task WaitWatchedAsync(long revision)
    {
        for (var i = 0; i < 200 && Interlocked.Read(ref _watched) < revision; i++)
        {
            await Task.Delay(50);
        }
    }

    private async Task ClientAsync(MemberChannel member, int client, int count)
    {
        var random = new Random(seed * 100 + client);
        var leases = new List<long>();
        long seen = 1;
        for (var i = 0; i < count; i++)
        {
            var key = $"{Prefix}k{random.Next(8)}";
            var value = $"c{client}-{i}";
            Request request = random.Next(100) switch
            {
                < 30 => new PutRequest(key, value, leases.Count > 0 && random.Next(4) == 0 ? leases[^1] : 0),
                < 50 => new RangeRequest(key),
                < 58 => new RangeRequest(key, Serializable: true),
                < 64 => new RangeRequest(Prefix, PrefixEnd),
                < 72 => new DeleteRequest(key),
                < 90 => new TxnRequest([new Compare(key, CompareTarget.Version, CompareResult.Greater, random.Next(3))],
                    [new PutRequest(key, value), new DeleteRequest($"{Prefix}k{random.Next(8, 10)}")], [new RangeRequest(key)]),
                < 93 => new LeaseGrantRequest(60, client * 1000 + i + 1),
                < 95 when leases.Count > 0 => new LeaseRevokeRequest(leases[0]),
                < 97 when seen > 20 => new RangeRequest(key, Revision: seen - random.Next(1, 15)),
                // Far enough behind that the watch keeps up (etcd cancels a watcher a compaction overtakes).
                < 98 when seen > 80 => new CompactRequest(seen - 60),
                _ => new RangeRequest(Prefix, PrefixEnd, Limit: 2),
            };
            var invoke = Clock.Now;
            try
            {
                var response = await Wire.SendAsync(member, request, DateTime.UtcNow.AddSeconds(30));
                if (request is LeaseGrantRequest g)
                {
                    leases.Add(g.Id);
                }
                if (request is LeaseRevokeRequest r)
                {
                    leases.Remove(r.Id);
                }
                seen = Math.Max(seen, response.Revision);
                Record(client, request, invoke, Outcome.Ok, response, null);
            }
            catch (RpcException e)
            {
                var failed = e.StatusCode is StatusCode.FailedPrecondition or StatusCode.NotFound or StatusCode.OutOfRange or StatusCode.InvalidArgument;
                Record(client, request, invoke, failed ? Outcome.Failed : Outcome.Unknown, null, $"{e.StatusCode}: {e.Status.Detail}");
            }
        }
    }

    private void Record(int client, Request request, long invoke, Outcome outcome, Response? response, string? error) =>
        _recorder.Add(new Operation
        {
            Client = client, Id = _recorder.NextId(), Request = request, Invoke = invoke, Return = Clock.Now,
            Outcome = outcome, Response = response, Error = error, Endpoint = endpoint,
        });

    private static ByteString Bytes(string s) => Wire.Bytes(s);

    private static KeyValue Kv(Mvccpb.KeyValue kv) => Wire.FromKv(kv);

    private async Task<WatchRecord> WatchAsync(GrpcChannel channel, CancellationToken stop)
    {
        var record = new WatchRecord { Client = 99, Id = 1, Key = Prefix, RangeEnd = PrefixEnd, StartRevision = 1, PrevKv = true, Opened = Clock.Now };
        using var call = new Etcd.Watch.WatchClient(channel).Watch(cancellationToken: stop);
        await call.RequestStream.WriteAsync(new Etcd.WatchRequest
        {
            CreateRequest = new Etcd.WatchCreateRequest { Key = Bytes(Prefix), RangeEnd = Bytes(PrefixEnd), StartRevision = 1, PrevKv = true },
        }, stop);
        try
        {
            await foreach (var r in call.ResponseStream.ReadAllAsync(stop))
            {
                record.Responses.Add(new WatchResponseRecord(Clock.Now, r.Header.Revision,
                    r.Events.Select(e => new WatchEvent(e.Type == Mvccpb.Event.Types.EventType.Put ? EventType.Put : EventType.Delete, Kv(e.Kv),
                        e.PrevKv is null ? null : Kv(e.PrevKv))).ToList(), r.Created, r.Canceled, r.CompactRevision));
                if (r.Created)
                {
                    _created.TrySetResult();
                }
                if (r.Events.Count > 0)
                {
                    Interlocked.Exchange(ref _watched, r.Events[^1].Kv.ModRevision);
                }
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled)
        {
        }
        catch (OperationCanceledException)
        {
        }
        return record with { Closed = Clock.Now };
    }

    private static async Task<MemberState> FinalStateAsync(GrpcChannel channel)
    {
        var all = await new Etcd.KV.KVClient(channel).RangeAsync(new Etcd.RangeRequest { Key = Bytes(Prefix), RangeEnd = Bytes(PrefixEnd), Serializable = true });
        var hash = await new Etcd.Maintenance.MaintenanceClient(channel).HashKVAsync(new Etcd.HashKVRequest { Revision = all.Header.Revision });
        var leases = await new Etcd.Lease.LeaseClient(channel).LeaseLeasesAsync(new Etcd.LeaseLeasesRequest());
        return new MemberState("m1", "", all.Header.Revision, hash.CompactRevision, hash.Hash, all.Kvs.Select(Kv).ToList(), leases.Leases.Select(l => l.ID).ToList());
    }
}
