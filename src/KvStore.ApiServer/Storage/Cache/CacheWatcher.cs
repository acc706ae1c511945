using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace KvStore.ApiServer.Storage.Cache;

/// <summary>What a watch on the cache asks for (kube's storage.ListOptions for Watch).</summary>
/// <param name="KeyOrPrefix">One object's key, or a collection prefix ending in "/".</param>
/// <param name="Filter">The selectors (null: everything).</param>
/// <param name="FromRevision">Events after this revision; ignored when <paramref name="InitialEvents"/>.</param>
/// <param name="InitialEvents">First the current objects as ADDED (rv 0, or sendInitialEvents=true).</param>
/// <param name="MinRevision">With initial events: the state must be at least this fresh (a consistent watch-list's revision).</param>
/// <param name="InitialEventsEndBookmark">After the initial events a bookmark annotated k8s.io/initial-events-end.</param>
/// <param name="Bookmarks">allowWatchBookmarks: periodic bookmarks, and one two seconds before <paramref name="Deadline"/>.</param>
public sealed record CacheWatchRequest(string KeyOrPrefix, Func<ObjectAttributes, bool>? Filter, long FromRevision, bool InitialEvents,
    long MinRevision, bool InitialEventsEndBookmark, bool Bookmarks, DateTimeOffset? Deadline);

/// <summary>
/// One watcher of a <see cref="WatchCache"/> (kube's cacheWatcher): first what existed or happened before it was added
/// (taken under the cache's lock when it was added), then the events dispatched to it since, already converted for its
/// selector. A watcher that falls <see cref="Capacity"/> events behind is closed, so it never holds up the others: its
/// stream ends and the client watches again from the last revision it saw, as with kube-apiserver.
/// </summary>
public sealed class CacheWatcher : IDisposable
{
    /// <summary>Events a watcher may fall behind before it is closed (kube sizes its channels up to 1000).</summary>
    public const int Capacity = 1000;

    private static readonly TimeSpan BookmarkFrequency = TimeSpan.FromMinutes(1);

    private readonly Channel<WatchEvent> _events = Channel.CreateBounded<WatchEvent>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CacheWatchRequest _request;
    private readonly Action<CacheWatcher> _forget;
    private IEnumerable<CachedObject>? _initialObjects;
    private IReadOnlyList<CacheEvent>? _initialEvents;
    private long _startRevision;

    internal CacheWatcher(CacheWatchRequest request, Action<CacheWatcher> forget) => (_request, _forget) = (request, forget);

    /// <summary>Set when the cache closed this watcher because it fell behind.</summary>
    public bool Overrun { get; private set; }

    internal DateTimeOffset NextBookmark { get; private set; } = DateTimeOffset.MaxValue;

    internal bool WantsBookmarks => _request.Bookmarks;

    /// <summary>Called under the cache's lock when the watcher is added: what it is sent before dispatched events.</summary>
    internal void Start(IEnumerable<CachedObject>? objects, IReadOnlyList<CacheEvent>? events, long startRevision, DateTimeOffset now)
    {
        (_initialObjects, _initialEvents, _startRevision) = (objects, events, startRevision);
        ScheduleBookmark(now);
    }

    /// <summary>kube's nextBookmarkTime: every minute, and two seconds before the watch's deadline; none once that has passed.</summary>
    internal void ScheduleBookmark(DateTimeOffset now)
    {
        if (!_request.Bookmarks) return;
        var next = now + BookmarkFrequency;
        if (_request.Deadline is { } deadline && deadline - TimeSpan.FromSeconds(2) < next) next = deadline - TimeSpan.FromSeconds(2);
        NextBookmark = next < now ? DateTimeOffset.MaxValue : next;
    }

    internal bool MatchesKey(string key) =>
        _request.KeyOrPrefix.EndsWith('/') ? key.StartsWith(_request.KeyOrPrefix, StringComparison.Ordinal) : key == _request.KeyOrPrefix;

    private bool Passes(CachedObject? obj) => obj is not null && (_request.Filter is null || _request.Filter(obj.Attributes));

    /// <summary>kube's convertToWatchEvent: ADDED when the object starts matching, MODIFIED while it matches, DELETED (the
    /// previous object at the event's revision) when it stops; null when the watcher never saw it
    /// (WatchCacheTests.ASelectorSeesObjectsStartAndStopMatchingAsAddedAndDeleted).</summary>
    internal (StoreEventType Type, CachedObject Object)? Convert(CacheEvent e)
    {
        if (!MatchesKey(e.Key)) return null;
        var now = e.Type != StoreEventType.Deleted && Passes(e.Object);
        var before = Passes(e.Previous);
        return (now, before) switch
        {
            (true, false) => (StoreEventType.Added, e.Object),
            (true, true) => (StoreEventType.Modified, e.Object),
            (false, true) => (StoreEventType.Deleted, e.Type == StoreEventType.Deleted ? e.Object : e.PreviousAtRevision),
            _ => null,
        };
    }

    /// <summary>Queues without waiting; false when the watcher is full (the cache then closes it).</summary>
    internal bool TryOffer(WatchEvent e) => _events.Writer.TryWrite(e);

    internal void Close(bool overrun)
    {
        Overrun |= overrun;
        _events.Writer.TryComplete();
    }

    /// <summary>The watcher's events until it is closed or <paramref name="cancellationToken"/> ends it.</summary>
    public async IAsyncEnumerable<WatchEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var sent = _startRevision;
        if (_initialObjects is { } objects)
        {
            foreach (var obj in objects)
            {
                if (MatchesKey(obj.Key) && Passes(obj)) yield return new WatchEvent(StoreEventType.Added, obj, obj.Revision);
            }
            if (_request.InitialEventsEndBookmark) yield return new WatchEvent(StoreEventType.Bookmark, null, _startRevision, initialEventsEnd: true);
        }
        if (_initialEvents is { } events)
        {
            foreach (var e in events)
            {
                if (Convert(e) is { } converted) yield return new WatchEvent(converted.Type, converted.Object, e.Revision);
                sent = Math.Max(sent, e.Revision);
            }
        }
        _initialObjects = null;
        _initialEvents = null;
        while (await _events.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (_events.Reader.TryRead(out var e))
            {
                // A watch from a revision ahead of the cache skips what it has not asked for (kube's process() guard).
                if (e.Type == StoreEventType.Bookmark ? e.Revision < sent : e.Revision <= sent) continue;
                yield return e;
            }
        }
    }

    public void Dispose() => _forget(this);
}
