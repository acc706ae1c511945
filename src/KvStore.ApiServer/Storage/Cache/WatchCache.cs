using System.Collections.Immutable;
using Etcdserverpb;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace KvStore.ApiServer.Storage.Cache;

/// <summary>
/// The watch cache of one resource (kube-apiserver's cacher + watchCache): the current objects and a window of recent
/// events in memory, fed by one store watch on the resource's prefix (its reflector: list, then watch from the list's
/// revision with prev_kv and progress notifications; a compacted or broken watch lists again and closes every watcher).
/// Lists, gets and watches of the resource are served from here (see WatchCache.Serve.cs; held by WatchCacheTests).
/// </summary>
/// <remarks>
/// Threads: the reflector is the only writer of the state. It builds each change outside the lock, then under the lock
/// publishes it, appends it to the window and offers it to every watcher; a watcher is added under the same lock, so it
/// gets each change exactly once (from its start snapshot or from dispatch). <see cref="Revision"/> is the revision every
/// change up to which is applied: the last event's, or a later progress notification's.
/// </remarks>
public sealed partial class WatchCache : IAsyncDisposable
{
    /// <summary>How long a request waits for the cache to reach the revision it needs (kube's blockTimeout).</summary>
    private static readonly TimeSpan BlockTimeout = TimeSpan.FromSeconds(3);

    /// <summary>While a request waits for freshness, a progress request goes to the store this often (kube's progressRequester).</summary>
    private static readonly TimeSpan ProgressRequestInterval = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan MaxRelistBackoff = TimeSpan.FromSeconds(5);

    private readonly IKeyValue _kv;
    private readonly CachedResource _resource;
    private readonly TimeProvider _clock;
    private readonly ILogger _log;
    private readonly Lock _lock = new();
    private readonly EventWindow _window = new();
    private readonly List<CacheWatcher> _watchers = [];
    private readonly WatchProgressRequests _progress = new();
    private readonly CancellationTokenSource _stopping = new();
    private ImmutableSortedDictionary<string, CachedObject> _state = ImmutableSortedDictionary.Create<string, CachedObject>(StringComparer.Ordinal);
    private long _revision;
    private long _listRevision;
    private bool _evictedSinceList;
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _reflector = Task.CompletedTask;
    private Task _bookmarks = Task.CompletedTask;

    internal WatchCache(IKeyValue kv, CachedResource resource, TimeProvider clock, ILogger? log)
    {
        (_kv, _resource, _clock) = (kv, resource, clock);
        _log = log ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    public string KeyPrefix => _resource.KeyPrefix;

    /// <summary>Every change up to this revision is in the cache.</summary>
    public long Revision
    {
        get
        {
            lock (_lock) return _revision;
        }
    }

    public bool IsReady => _ready.Task.IsCompletedSuccessfully;

    /// <summary>Each change, after watchers were offered it, on the reflector's thread (observers only queue work).</summary>
    public event Action<CacheEvent>? Changed;

    /// <summary>After each (re)list, on the reflector's thread: observers re-read <see cref="Snapshot"/>.</summary>
    public event Action<WatchCache>? Listed;

    internal void Start()
    {
        _reflector = Task.Run(() => ReflectAsync(_stopping.Token));
        _bookmarks = Task.Run(() => BookmarkAsync(_stopping.Token));
    }

    /// <summary>Completes once the first list is in (or throws when <paramref name="cancellationToken"/> ends first).</summary>
    public Task WaitReadyAsync(CancellationToken cancellationToken) => _ready.Task.WaitAsync(cancellationToken);

    /// <summary>The current objects (in key order) and the revision they are at.</summary>
    public (IEnumerable<CachedObject> Objects, long Revision) Snapshot()
    {
        lock (_lock) return (_state.Values, _revision);
    }

    // ---- the reflector: list, watch, apply ----

    private async Task ReflectAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var revision = await ListAsync(cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromMilliseconds(100);
                Listed?.Invoke(this);
                await WatchFromAsync(revision, cancellationToken).ConfigureAwait(false);
                Log.CacheRelisting(_log, KeyPrefix, "the store watch ended");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is StoreException or RpcException or IOException or InvalidOperationException)
            {
                Log.CacheRelisting(_log, KeyPrefix, e.Message);
            }
            await Task.Delay(backoff, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxRelistBackoff.Ticks));
        }
    }

    /// <summary>Reads every object under the prefix and replaces the state with them; every watcher is closed (its client
    /// watches again, as kube's cacher terminates watchers when it re-initializes). Returns the list's revision.</summary>
    private async Task<long> ListAsync(CancellationToken cancellationToken)
    {
        var request = new RangeRequest { Key = ObjectStore.Bytes(KeyPrefix), RangeEnd = ObjectStore.PrefixEnd(KeyPrefix) };
        RangeResponse range = await _kv.RangeAsync(request, cancellationToken).ConfigureAwait(false);
        var state = ImmutableSortedDictionary.CreateBuilder<string, CachedObject>(StringComparer.Ordinal);
        foreach (Mvccpb.KeyValue kv in range.Kvs)
        {
            if (Build(kv) is { } obj) state[obj.Key] = obj;
        }
        List<CacheWatcher> closed;
        TaskCompletionSource advanced;
        lock (_lock)
        {
            _state = state.ToImmutable();
            _revision = _listRevision = range.Header.Revision;
            _window.Clear();
            _evictedSinceList = false;
            closed = [.. _watchers];
            _watchers.Clear();
            advanced = _advanced;
            _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        foreach (var watcher in closed) watcher.Close(overrun: false);
        advanced.TrySetResult();
        _ready.TrySetResult();
        return range.Header.Revision;
    }

    private async Task WatchFromAsync(long revision, CancellationToken cancellationToken)
    {
        var create = new WatchCreateRequest
        {
            Key = ObjectStore.Bytes(KeyPrefix), RangeEnd = ObjectStore.PrefixEnd(KeyPrefix), StartRevision = revision + 1,
            PrevKv = true, ProgressNotify = true,
        };
        await foreach (WatchResponse response in _kv.WatchAsync(create, _progress, cancellationToken).ConfigureAwait(false))
        {
            if (response.CompactRevision != 0 || response.Canceled) return;
            if (response.Events.Count > 0) Apply(response.Events);
            else if (!response.Created && response.Header is not null) Advance(response.Header.Revision);
        }
    }

    /// <summary>The cache's form of a stored key, or null (logged) when its value is not a JSON object.</summary>
    private CachedObject? Build(Mvccpb.KeyValue kv)
    {
        try
        {
            var stored = ObjectStore.Decode(kv);
            return CachedObject.Create(stored.Key, stored.Object, kv.ModRevision, _resource);
        }
        catch (StoreException e)
        {
            Log.CacheUndecodable(_log, kv.Key.ToStringUtf8(), e.Message);
            return null;
        }
    }

    private void Apply(IEnumerable<Mvccpb.Event> events)
    {
        // Only this thread changes _state: the events are built against it outside the lock, then published.
        var state = _state;
        var changes = new List<CacheEvent>();
        long last = 0;
        var now = _clock.GetUtcNow();
        foreach (Mvccpb.Event e in events)
        {
            string key = e.Kv.Key.ToStringUtf8();
            last = Math.Max(last, e.Kv.ModRevision);
            state.TryGetValue(key, out var previous);
            if (e.Type == Mvccpb.Event.Types.EventType.Delete)
            {
                var gone = previous ?? (e.PrevKv is null ? null : Build(e.PrevKv));
                if (gone is null) continue;
                state = state.Remove(key);
                changes.Add(new CacheEvent(StoreEventType.Deleted, key, e.Kv.ModRevision, gone.AtRevision(e.Kv.ModRevision), previous ?? gone, now));
                continue;
            }
            if (Build(e.Kv) is not { } obj) continue;
            state = state.SetItem(key, obj);
            var type = e.Kv.CreateRevision == e.Kv.ModRevision ? StoreEventType.Added : StoreEventType.Modified;
            changes.Add(new CacheEvent(type, key, e.Kv.ModRevision, obj, previous, now));
        }
        TaskCompletionSource advanced;
        lock (_lock)
        {
            _state = state;
            foreach (var change in changes)
            {
                _evictedSinceList |= _window.Add(change);
                Dispatch(change);
            }
            _revision = Math.Max(_revision, last);
            advanced = _advanced;
            _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        advanced.TrySetResult();
        foreach (var change in changes) Changed?.Invoke(change);
    }

    /// <summary>A progress notification: nothing of this resource changed up to <paramref name="revision"/>.</summary>
    private void Advance(long revision)
    {
        TaskCompletionSource advanced;
        lock (_lock)
        {
            if (revision <= _revision) return;
            _revision = revision;
            advanced = _advanced;
            _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        advanced.TrySetResult();
    }

    /// <summary>Offers <paramref name="change"/> to every watcher (under the lock); one that is full is closed and dropped.
    /// Watchers converting it to the same type share one <see cref="WatchEvent"/>, so its JSON is framed once.</summary>
    private void Dispatch(CacheEvent change)
    {
        WatchEvent? added = null, modified = null, deleted = null;
        for (int i = _watchers.Count - 1; i >= 0; i--)
        {
            var watcher = _watchers[i];
            if (watcher.Convert(change) is not { } converted) continue;
            var e = converted.Type switch
            {
                StoreEventType.Added => added ??= new WatchEvent(StoreEventType.Added, converted.Object, change.Revision),
                StoreEventType.Modified => modified ??= new WatchEvent(StoreEventType.Modified, converted.Object, change.Revision),
                _ => deleted ??= new WatchEvent(StoreEventType.Deleted, converted.Object, change.Revision),
            };
            if (watcher.TryOffer(e)) continue;
            Log.CacheWatcherOverrun(_log, KeyPrefix, CacheWatcher.Capacity);
            watcher.Close(overrun: true);
            _watchers.RemoveAt(i);
        }
    }

    /// <summary>kube's bookmark timer: about every second, each watcher whose bookmark is due gets one at the cache's
    /// revision, queued behind the events already offered to it.</summary>
    private async Task BookmarkAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var jitter = TimeSpan.FromMilliseconds(750 + Random.Shared.Next(500));
            await Task.Delay(jitter, _clock, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            lock (_lock)
            {
                if (_revision == 0) continue;
                var now = _clock.GetUtcNow();
                WatchEvent? bookmark = null;
                foreach (var watcher in _watchers)
                {
                    if (!watcher.WantsBookmarks || watcher.NextBookmark > now) continue;
                    watcher.TryOffer(bookmark ??= new WatchEvent(StoreEventType.Bookmark, null, _revision));
                    watcher.ScheduleBookmark(now);
                }
            }
        }
    }

    private void Forget(CacheWatcher watcher)
    {
        lock (_lock) _watchers.Remove(watcher);
        watcher.Close(overrun: false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _reflector.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _bookmarks.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        List<CacheWatcher> watchers;
        lock (_lock)
        {
            watchers = [.. _watchers];
            _watchers.Clear();
        }
        foreach (var watcher in watchers) watcher.Close(overrun: false);
        _ready.TrySetCanceled();
        _stopping.Dispose();
    }
}
