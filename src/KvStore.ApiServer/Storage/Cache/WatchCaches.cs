using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace KvStore.ApiServer.Storage.Cache;

/// <summary>
/// The watch caches of one apiserver, one per resource prefix and version (kube-apiserver keeps one cacher per resource), each
/// started on first use with its own store watch and stopped when its resource is no longer served. Observers (the
/// facade's controllers) learn of every cache as it starts.
/// </summary>
public sealed class WatchCaches(IKeyValue kv, TimeProvider clock, ILoggerFactory? loggers) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<WatchCache>> _caches = new(StringComparer.Ordinal);
    private readonly Lock _observers = new();
    private readonly List<Action<WatchCache>> _started = [];
    private readonly List<WatchCache> _created = [];
    private readonly List<Task> _stopping = [];
    private bool _disposed;

    /// <summary>The cache of <paramref name="resource"/>, started if it was not.</summary>
    public WatchCache For(CachedResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var lazy = _caches.GetOrAdd(resource.KeyPrefix + "\n" + resource.ApiVersion, _ => new Lazy<WatchCache>(() => Create(resource)));
        return lazy.Value;
    }

    /// <summary>Stops the cache of <paramref name="keyPrefix"/> at <paramref name="apiVersion"/>, if one runs (a deleted CRD's
    /// version): its watchers' streams end and its store watch is cancelled. A later <see cref="For"/> starts a new one.</summary>
    public void Stop(string keyPrefix, string apiVersion)
    {
        if (!_caches.TryRemove(keyPrefix + "\n" + apiVersion, out var lazy) || !lazy.IsValueCreated) return;
        lock (_observers)
        {
            _created.Remove(lazy.Value);
            _stopping.Add(lazy.Value.DisposeAsync().AsTask());
        }
    }

    /// <summary>Every cache started so far.</summary>
    public IReadOnlyList<WatchCache> All
    {
        get
        {
            lock (_observers) return [.. _created];
        }
    }

    /// <summary>Calls <paramref name="observer"/> for every cache started so far and every one started later.</summary>
    public void OnStarted(Action<WatchCache> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        List<WatchCache> existing;
        lock (_observers)
        {
            _started.Add(observer);
            existing = [.. _created];
        }
        foreach (var cache in existing) observer(cache);
    }

    private WatchCache Create(CachedResource resource)
    {
        var cache = new WatchCache(kv, resource, clock, loggers?.CreateLogger<WatchCache>());
        List<Action<WatchCache>> observers;
        lock (_observers)
        {
            // one lock for both lists: an observer added meanwhile sees this cache exactly once, here or in OnStarted
            observers = [.. _started];
            _created.Add(cache);
        }
        foreach (var observer in observers) observer(cache);
        cache.Start();
        return cache;
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        foreach (var cache in All) await cache.DisposeAsync().ConfigureAwait(false);
        List<Task> stopping;
        lock (_observers) stopping = [.. _stopping];
        await Task.WhenAll(stopping).ConfigureAwait(false);
    }
}
