using System.Collections.Immutable;

namespace KvStore.ApiServer.Storage.Cache;

/// <summary>A list read from the cache: items in key order, the revision it is at, a continue token when a limit cut it.</summary>
public sealed record CacheList(IReadOnlyList<CachedObject> Items, long Revision, string? Continue, long? RemainingItemCount);

public sealed partial class WatchCache
{
    /// <summary>
    /// Objects under <paramref name="prefix"/> (ending in "/") passing <paramref name="filter"/>, from a state at least as new
    /// as <paramref name="minRevision"/> (kube's WaitUntilFreshAndList: 504 "Too large resource version" after three
    /// seconds). <paramref name="limit"/> &gt; 0 cuts the list with a continue token at the cache's revision, which the store
    /// then serves (kube's PrepareContinueToken; remainingItemCount only without a filter).
    /// </summary>
    public async Task<CacheList> ListAsync(string prefix, long minRevision, Func<ObjectAttributes, bool>? filter, long limit,
        CancellationToken cancellationToken)
    {
        await EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        await WaitUntilFreshAsync(minRevision, cancellationToken).ConfigureAwait(false);
        ImmutableSortedDictionary<string, CachedObject> state;
        long revision;
        lock (_lock) (state, revision) = (_state, _revision);
        var all = Under(state, prefix).ToList();
        var items = new List<CachedObject>();
        var more = false;
        for (int i = 0; i < all.Count; i++)
        {
            if (filter is null || filter(all[i].Attributes)) items.Add(all[i]);
            if (limit > 0 && items.Count >= limit)
            {
                more = i < all.Count - 1;
                break;
            }
        }
        if (!more) return new CacheList(items, revision, null, null);
        var token = ContinueToken.Encode(items[^1].Key + "\0", prefix, revision);
        return new CacheList(items, revision, token, filter is null ? all.Count - limit : null);
    }

    /// <summary>The object at <paramref name="key"/> (or null) and the revision the cache is at, at least <paramref name="minRevision"/>.</summary>
    public async Task<(CachedObject? Object, long Revision)> GetAsync(string key, long minRevision, CancellationToken cancellationToken)
    {
        await EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        await WaitUntilFreshAsync(minRevision, cancellationToken).ConfigureAwait(false);
        lock (_lock) return (_state.GetValueOrDefault(key), _revision);
    }

    /// <summary>
    /// A watcher (kube's Cacher.Watch). With initial events it starts from the current objects (once the cache is at least
    /// at <see cref="CacheWatchRequest.MinRevision"/>); otherwise from the window's events after
    /// <see cref="CacheWatchRequest.FromRevision"/> (0: from now), Expired "too old resource version: N (M)" when the window
    /// no longer reaches back to it. Dispose the watcher to stop it.
    /// </summary>
    public async Task<CacheWatcher> WatchAsync(CacheWatchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        if (request.InitialEvents) await WaitUntilFreshAsync(request.MinRevision, cancellationToken).ConfigureAwait(false);
        var watcher = new CacheWatcher(request, Forget);
        lock (_lock)
        {
            var now = _clock.GetUtcNow();
            if (request.InitialEvents)
            {
                watcher.Start(Under(_state, request.KeyOrPrefix), null, _revision, now);
            }
            else
            {
                var from = request.FromRevision == 0 ? _revision : request.FromRevision;
                // kube's getAllEventsSinceLocked: right after a list the window reaches back to the list's revision.
                var oldest = !_evictedSinceList ? _listRevision + 1 : _window.Oldest?.Revision ?? _revision + 1;
                if (from < oldest - 1)
                {
                    throw new StoreException(StoreError.Expired, $"too old resource version: {from} ({oldest - 1})");
                }
                watcher.Start(null, _window.Since(from), from, now);
            }
            _watchers.Add(watcher);
        }
        return watcher;
    }

    /// <summary>Returns once the cache is at <paramref name="revision"/> or later, asking the store for progress while it
    /// waits; TooLargeResourceVersion after three seconds (kube's waitUntilFreshAndBlock with RequestWatchProgress).</summary>
    public async Task WaitUntilFreshAsync(long revision, CancellationToken cancellationToken)
    {
        var deadline = _clock.GetUtcNow() + BlockTimeout;
        while (true)
        {
            Task advanced;
            long current;
            lock (_lock)
            {
                if (_revision >= revision) return;
                (advanced, current) = (_advanced.Task, _revision);
            }
            var remaining = deadline - _clock.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                throw new StoreException(StoreError.TooLarge, $"Too large resource version: {revision}, current: {current}");
            }
            _progress.Request();
            var wait = remaining < ProgressRequestInterval ? remaining : ProgressRequestInterval;
            await Task.WhenAny(advanced, Task.Delay(wait, _clock, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Waits (up to the block timeout) for the first list; kube answers 429 "storage is (re)initializing" meanwhile.</summary>
    private async Task EnsureReadyAsync(CancellationToken cancellationToken)
    {
        if (IsReady) return;
        try
        {
            await _ready.Task.WaitAsync(BlockTimeout, _clock, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new StoreException(StoreError.Initializing, "storage is (re)initializing");
        }
    }

    /// <summary>The objects at <paramref name="keyOrPrefix"/>: the one key, or every key under a prefix ending in "/", in key order.</summary>
    private static IEnumerable<CachedObject> Under(ImmutableSortedDictionary<string, CachedObject> state, string keyOrPrefix)
    {
        if (!keyOrPrefix.EndsWith('/'))
        {
            return state.TryGetValue(keyOrPrefix, out var one) ? [one] : [];
        }
        return state.Values.SkipWhile(o => string.CompareOrdinal(o.Key, keyOrPrefix) < 0)
            .TakeWhile(o => o.Key.StartsWith(keyOrPrefix, StringComparison.Ordinal));
    }
}
