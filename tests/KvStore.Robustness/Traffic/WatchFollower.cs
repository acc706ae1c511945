using Grpc.Core;
using KvStore.Robustness.History;
using Rpc = Etcdserverpb;

namespace KvStore.Robustness.Traffic;

/// <summary>
/// A watch kept open over a run: every response is recorded; when the stream breaks, a new watch (a new
/// <see cref="WatchRecord"/>) resumes on the next member from the last received event's revision + 1.
/// Ends when the run stops, or when the server cancels it for compaction (the caller lists again).
/// </summary>
public sealed class WatchFollower
{
    private readonly TrafficContext _context;
    private readonly int _client;
    private readonly string _key;
    private readonly string? _rangeEnd;
    private readonly bool _prevKv;
    private int _member;

    public WatchFollower(TrafficContext context, int client, int member, string key, string? rangeEnd, bool prevKv)
    {
        _context = context;
        _client = client;
        _member = member;
        _key = key;
        _rangeEnd = rangeEnd;
        _prevKv = prevKv;
    }

    /// <summary>Called with each received event, in order.</summary>
    public Action<WatchEvent>? OnEvent { get; init; }

    /// <summary>Follows from <paramref name="startRevision"/>; returns the compact revision if compaction cancelled it, else 0.</summary>
    public async Task<long> RunAsync(long startRevision, CancellationToken stop)
    {
        long next = startRevision;
        while (!stop.IsCancellationRequested)
        {
            MemberChannel member = _context.Members[_member];
            var record = new WatchRecord
            {
                Client = _client, Id = _context.Recorder.NextId(), Key = _key, RangeEnd = _rangeEnd, StartRevision = next,
                PrevKv = _prevKv, Endpoint = member.Url, Opened = Clock.Now,
            };
            string? error = null;
            long compacted = 0;
            try
            {
                (next, compacted) = await FollowAsync(member, record, next, stop).ConfigureAwait(false);
                if (compacted == 0 && !stop.IsCancellationRequested) error = "stream ended";
            }
            catch (RpcException e) when (!stop.IsCancellationRequested)
            {
                error = $"{e.StatusCode}: {e.Status.Detail}";
            }
            catch (Exception e) when (e is OperationCanceledException or RpcException && stop.IsCancellationRequested)
            {
            }
            _context.Recorder.Add(record with { Closed = Clock.Now, Error = error });
            if (compacted > 0) return compacted;
            if (error is not null)
            {
                _member = (_member + 1) % _context.Members.Count;
                next = Math.Max(next, LastEventRevision(record) + 1);
                await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
            }
        }
        return 0;
    }

    private async Task<(long Next, long Compacted)> FollowAsync(MemberChannel member, WatchRecord record, long start, CancellationToken stop)
    {
        using var call = member.Watch.Watch(cancellationToken: stop);
        var create = new Rpc.WatchCreateRequest { Key = Wire.Bytes(_key), StartRevision = start, PrevKv = _prevKv };
        if (_rangeEnd is not null) create.RangeEnd = Wire.Bytes(_rangeEnd);
        await call.RequestStream.WriteAsync(new Rpc.WatchRequest { CreateRequest = create }, stop).ConfigureAwait(false);
        long next = start;
        while (await call.ResponseStream.MoveNext(stop).ConfigureAwait(false))
        {
            Rpc.WatchResponse r = call.ResponseStream.Current;
            var events = r.Events.Select(e => new WatchEvent(
                e.Type == Mvccpb.Event.Types.EventType.Delete ? EventType.Delete : EventType.Put,
                Wire.FromKv(e.Kv), e.PrevKv is null ? null : Wire.FromKv(e.PrevKv))).ToList();
            record.Responses.Add(new WatchResponseRecord(Clock.Now, r.Header?.Revision ?? 0, events, r.Created, r.Canceled,
                r.CompactRevision, r.CancelReason.Length > 0 ? r.CancelReason : null));
            foreach (WatchEvent e in events)
            {
                OnEvent?.Invoke(e);
                next = e.Kv.ModRevision + 1;
            }
            if (r.Canceled) return (next, Math.Max(1, r.CompactRevision));
        }
        return (next, 0);
    }

    private static long LastEventRevision(WatchRecord record) =>
        record.Responses.SelectMany(r => r.Events).Select(e => e.Kv.ModRevision).DefaultIfEmpty(0).Max();
}
