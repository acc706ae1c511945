namespace KvStore.ApiServer.Storage.Cache;

/// <summary>
/// One change the cache applied (kube's watchCacheEvent): the object after it (for a delete, the last state at the delete's
/// revision) and the object before it, so each watcher can decide by its selector whether it saw the object come, change or go.
/// </summary>
public sealed class CacheEvent(StoreEventType type, string key, long revision, CachedObject @object, CachedObject? previous, DateTimeOffset recorded)
{
    private CachedObject? _previousAtRevision;

    public StoreEventType Type { get; } = type;

    public string Key { get; } = key;

    public long Revision { get; } = revision;

    public CachedObject Object { get; } = @object;

    /// <summary>The cache's state of the key before this event (null for a create).</summary>
    public CachedObject? Previous { get; } = previous;

    /// <summary>When the cache applied it (the event window keeps recent events by age).</summary>
    public DateTimeOffset Recorded { get; } = recorded;

    /// <summary>The previous object with this event's resourceVersion: what a watcher whose selector stops matching gets as DELETED.</summary>
    public CachedObject PreviousAtRevision =>
        _previousAtRevision ??= (Previous ?? Object).AtRevision(Revision);
}

/// <summary>
/// What one watcher is sent: an event already converted for its selector, or a bookmark. Watchers given the same change
/// with the same type share one instance, so its JSON frame is written once for all of them (kube's cachingObject).
/// </summary>
public sealed class WatchEvent(StoreEventType type, CachedObject? @object, long revision, bool initialEventsEnd = false)
{
    private byte[]? _frame;

    public StoreEventType Type { get; } = type;

    /// <summary>The object (null for a bookmark).</summary>
    public CachedObject? Object { get; } = @object;

    public long Revision { get; } = revision;

    /// <summary>The bookmark that ends a watch-list's initial events (annotation k8s.io/initial-events-end: "true").</summary>
    public bool InitialEventsEnd { get; } = initialEventsEnd;

    public string TypeName => Type switch
    {
        StoreEventType.Added => "ADDED",
        StoreEventType.Modified => "MODIFIED",
        StoreEventType.Deleted => "DELETED",
        _ => "BOOKMARK",
    };

    /// <summary>The JSON watch frame {"type":...,"object":...} and a newline, for an event with an object.</summary>
    public byte[] JsonFrame()
    {
        if (_frame is { } frame) return frame;
        var json = Object!.Json.Span;
        var head = System.Text.Encoding.UTF8.GetBytes("{\"type\":\"" + TypeName + "\",\"object\":");
        frame = new byte[head.Length + json.Length + 2];
        head.CopyTo(frame, 0);
        json.CopyTo(frame.AsSpan(head.Length));
        frame[^2] = (byte)'}';
        frame[^1] = (byte)'\n';
        return _frame = frame; // a race writes equal arrays: either is fine
    }
}
