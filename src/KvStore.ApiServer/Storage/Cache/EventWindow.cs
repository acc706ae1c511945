namespace KvStore.ApiServer.Storage.Cache;

/// <summary>
/// The recent events of one resource, oldest first (kube's watchCache ring): a watch from a revision inside it is served
/// from here. It keeps every event younger than <see cref="FreshFor"/> up to <see cref="UpperBound"/> events, and at least
/// <see cref="LowerBound"/> however old (kube's eventFreshDuration 75 s, capacity bounds 100 and 100 x 1024). Not thread-safe:
/// the cache calls it under its lock.
/// </summary>
internal sealed class EventWindow
{
    public const int LowerBound = 100;
    public const int UpperBound = 100 * 1024;
    public static readonly TimeSpan FreshFor = TimeSpan.FromSeconds(75);

    private readonly Queue<CacheEvent> _events = new();

    public int Count => _events.Count;

    /// <summary>The oldest event kept, if any.</summary>
    public CacheEvent? Oldest => _events.TryPeek(out var e) ? e : null;

    /// <summary>Adds <paramref name="e"/>; true when older events had to go to make room (the window moved past the last list).</summary>
    public bool Add(CacheEvent e)
    {
        _events.Enqueue(e);
        var evicted = false;
        while (_events.Count > UpperBound || (_events.Count > LowerBound && e.Recorded - _events.Peek().Recorded > FreshFor))
        {
            _events.Dequeue();
            evicted = true;
        }
        return evicted;
    }

    public void Clear() => _events.Clear();

    /// <summary>The events after <paramref name="revision"/>, oldest first (a copy: the caller reads it outside the lock).</summary>
    public List<CacheEvent> Since(long revision)
    {
        var result = new List<CacheEvent>();
        foreach (var e in _events)
        {
            if (e.Revision > revision) result.Add(e);
        }
        return result;
    }
}
