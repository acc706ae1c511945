using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Etcdserverpb;
using Grpc.Core;

namespace KvStore.ApiServer.Storage;

public sealed partial class ObjectStore
{
    private const string WatchExpired = "The resourceVersion for the provided watch is too old.";

    /// <summary>How long a watch with bookmarks stays silent at most (kube's watch cache bookmarks about every minute).</summary>
    internal TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Events for <paramref name="keyOrPrefix"/> (a prefix when it ends in "/") after <paramref name="fromRevision"/> (exclusive),
    /// in revision order. fromRevision 0 = first the current objects as Added, then changes. Compacted -> throws Expired.
    /// Bookmarks (when <paramref name="bookmarks"/>) at least every minute and when the store reports progress.
    /// </summary>
    /// <remarks>
    /// As kube's etcd3 watcher: a put whose create_revision equals its mod_revision is Added, else Modified; a delete is
    /// Deleted with the previous value (prev_kv) at the delete's revision. The etcd watch runs in a receive loop that
    /// feeds a bounded channel; this loop reads it and, when idle for the bookmark interval, sends a Bookmark at the
    /// newest revision all of whose events were delivered (the last event's, the initial list's, or the last progress
    /// notification's), which is always safe to resume from.
    /// </remarks>
    public async IAsyncEnumerable<StoreEvent> WatchAsync(string keyOrPrefix, long fromRevision, bool bookmarks,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyOrPrefix);
        if (fromRevision < 0) throw new StoreException(StoreError.BadRequest, $"invalid resource version: {fromRevision}");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var events = Channel.CreateBounded<StoreEvent>(new BoundedChannelOptions(1024) { SingleReader = true, SingleWriter = true });
        var progress = new StrongBox<long>(fromRevision);
        Task receive = ReceiveAsync(keyOrPrefix, fromRevision, bookmarks, events.Writer, progress, stop.Token);
        long delivered = fromRevision;
        try
        {
            while (true)
            {
                bool? more = bookmarks
                    ? await WaitOrIdleAsync(events.Reader, stop.Token).ConfigureAwait(false)
                    : await events.Reader.WaitToReadAsync(stop.Token).ConfigureAwait(false);
                if (more is null)
                {
                    // The receive loop raises progress only after writing every event up to it; read it first, then make
                    // sure nothing is waiting in the channel, and every event up to it has been delivered.
                    long safe = Math.Max(delivered, Volatile.Read(ref progress.Value));
                    if (!events.Reader.TryPeek(out _) && safe > 0) yield return new StoreEvent(StoreEventType.Bookmark, null, safe);
                    continue;
                }
                if (more == false) yield break;
                while (events.Reader.TryRead(out StoreEvent? e))
                {
                    delivered = Math.Max(delivered, e.Revision);
                    yield return e;
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await receive.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or StoreException or RpcException or ChannelClosedException)
            {
            }
        }
    }

    /// <summary>WaitToReadAsync, or null when nothing came within the bookmark interval.</summary>
    private async Task<bool?> WaitOrIdleAsync(ChannelReader<StoreEvent> reader, CancellationToken cancellationToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(BookmarkInterval);
        try
        {
            return await reader.WaitToReadAsync(idle.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>The receive loop: (for rv 0) the current objects, then the etcd watch's events, into <paramref name="events"/>;
    /// completes it with the error that ended the watch.</summary>
    private async Task ReceiveAsync(string keyOrPrefix, long fromRevision, bool bookmarks, ChannelWriter<StoreEvent> events,
        StrongBox<long> progress, CancellationToken cancellationToken)
    {
        Exception? error = null;
        try
        {
            bool prefix = keyOrPrefix.EndsWith('/');
            var key = Bytes(keyOrPrefix);
            long start = fromRevision + 1;
            if (fromRevision == 0)
            {
                var request = new RangeRequest { Key = key };
                if (prefix) request.RangeEnd = PrefixEnd(keyOrPrefix);
                RangeResponse current = await Call(() => _kv.RangeAsync(request, cancellationToken)).ConfigureAwait(false);
                foreach (Mvccpb.KeyValue kv in current.Kvs)
                {
                    StoredObject added = Decode(kv);
                    await events.WriteAsync(new StoreEvent(StoreEventType.Added, added, kv.ModRevision), cancellationToken).ConfigureAwait(false);
                }
                start = current.Header.Revision + 1;
                Volatile.Write(ref progress.Value, current.Header.Revision);
            }
            var create = new WatchCreateRequest { Key = key, StartRevision = start, PrevKv = true, ProgressNotify = bookmarks };
            if (prefix) create.RangeEnd = PrefixEnd(keyOrPrefix);
            await foreach (WatchResponse response in _kv.WatchAsync(create, cancellationToken).ConfigureAwait(false))
            {
                if (response.CompactRevision != 0) throw new StoreException(StoreError.Expired, WatchExpired);
                if (response.Canceled)
                {
                    throw new StoreException(StoreError.Unavailable, "etcd watch canceled: " + response.CancelReason);
                }
                if (response.Events.Count == 0)
                {
                    if (!response.Created && bookmarks && response.Header is not null)
                    {
                        await events.WriteAsync(new StoreEvent(StoreEventType.Bookmark, null, response.Header.Revision), cancellationToken)
                            .ConfigureAwait(false);
                        Volatile.Write(ref progress.Value, response.Header.Revision);
                    }
                    continue;
                }
                foreach (Mvccpb.Event e in response.Events)
                {
                    StoreEvent? translated = Translate(e);
                    if (translated is not null) await events.WriteAsync(translated, cancellationToken).ConfigureAwait(false);
                }
                Volatile.Write(ref progress.Value, response.Events[^1].Kv.ModRevision);
            }
            if (!cancellationToken.IsCancellationRequested) throw new StoreException(StoreError.Unavailable, "etcd watch ended");
        }
        catch (RpcException e) when (IsCompacted(e))
        {
            error = new StoreException(StoreError.Expired, WatchExpired, e);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            error = new StoreException(StoreError.Unavailable, e.Status.Detail, e);
        }
        catch (Exception e) when (e is not OperationCanceledException && !(e is RpcException && cancellationToken.IsCancellationRequested))
        {
            error = e;
        }
        catch (Exception)
        {
            // cancelled: the consumer is gone
        }
        events.TryComplete(error);
    }

    private static StoreEvent? Translate(Mvccpb.Event e)
    {
        string key = e.Kv.Key.ToStringUtf8();
        if (e.Type == Mvccpb.Event.Types.EventType.Delete)
        {
            if (e.PrevKv is null) return null; // compacted away under the watcher; kube drops these too
            return new StoreEvent(StoreEventType.Deleted, Decode(key, e.PrevKv.Value, e.Kv.ModRevision), e.Kv.ModRevision);
        }
        StoreEventType type = e.Kv.CreateRevision == e.Kv.ModRevision ? StoreEventType.Added : StoreEventType.Modified;
        return new StoreEvent(type, Decode(e.Kv), e.Kv.ModRevision);
    }
}
