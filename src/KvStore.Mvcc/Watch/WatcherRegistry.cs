using Etcdserverpb;
using Mvccpb;

namespace KvStore.Mvcc.Watch;

/// <summary>
/// The synced watchers of one store (etcd's watchableStore.synced): single-key watchers by key, range
/// watchers in a list. Writes notify it under the store's write lock; a watcher whose stream is full is
/// moved out (it catches up from history when its reader drains the stream), so writers never wait.
/// </summary>
internal sealed class WatcherRegistry(MvccStore store)
{
    private readonly Dictionary<byte[], List<Watcher>> _byKey = new(ByteArrayComparer.Instance);
    private readonly List<Watcher> _ranges = [];
    private readonly HashSet<WatchStream> _streams = [];

    public int SyncedCount { get; private set; }

    public void AddStream(WatchStream s)
    {
        lock (_streams) _streams.Add(s);
    }

    public void RemoveStream(WatchStream s)
    {
        lock (_streams) _streams.Remove(s);
    }

    public void CloseAll()
    {
        WatchStream[] streams;
        lock (_streams) streams = [.. _streams];
        foreach (WatchStream s in streams) s.Close();
    }

    /// <summary>
    /// Moves every synced watcher to its stream's catch-up queue at its next revision (after the store's state
    /// was replaced by a snapshot). Caller holds the store's write lock.
    /// </summary>
    public void UnsyncAll()
    {
        var all = new List<Watcher>(_ranges);
        foreach (List<Watcher> list in _byKey.Values) all.AddRange(list);
        foreach (Watcher w in all)
        {
            Remove(w);
            w.Stream.MarkUnsynced(w);
        }
    }

    /// <summary>Caller holds the store's write lock.</summary>
    public void Add(Watcher w)
    {
        List<Watcher> list = _ranges;
        if (!w.IsRange && !_byKey.TryGetValue(w.Key, out list!)) _byKey[w.Key] = list = [];
        w.SyncedSlot = list.Count;
        list.Add(w);
        w.Synced = true;
        SyncedCount++;
    }

    /// <summary>Caller holds the store's write lock.</summary>
    public void Remove(Watcher w)
    {
        if (!w.Synced) return;
        w.Synced = false;
        SyncedCount--;
        List<Watcher> list = w.IsRange ? _ranges : _byKey[w.Key];
        // O(1): the last watcher takes the removed one's slot (etcd's watcher sets are maps for the same reason).
        Watcher last = list[^1];
        list[w.SyncedSlot] = last;
        last.SyncedSlot = w.SyncedSlot;
        list.RemoveAt(list.Count - 1);
        w.SyncedSlot = -1;
        if (list.Count == 0 && !w.IsRange) _byKey.Remove(w.Key);
    }

    /// <summary>
    /// Delivers the changes of revision <paramref name="rev"/>: one response per watcher with every matching
    /// event of that revision. Caller holds the store's write lock.
    /// </summary>
    public void Notify(long rev, List<Event> changes)
    {
        if (SyncedCount == 0) return;
        Dictionary<Watcher, WatchResponse>? batches = null;
        foreach (Event ev in changes)
        {
            ReadOnlySpan<byte> key = ev.Kv.Key.Span;
            if (_byKey.Count > 0 && _byKey.TryGetValue(ev.Kv.Key.ToByteArray(), out List<Watcher>? exact))
            {
                foreach (Watcher w in exact) Collect(ref batches, w, ev, rev);
            }
            foreach (Watcher w in _ranges)
            {
                if (w.Contains(key)) Collect(ref batches, w, ev, rev);
            }
        }
        if (batches is null) return;

        List<Watcher>? victims = null;
        foreach ((Watcher w, WatchResponse resp) in batches)
        {
            if (!w.Stream.TryEnqueue(resp))
            {
                (victims ??= []).Add(w); // its stream is full: it falls behind and catches up from history
                continue;
            }
            w.MinRev = rev + 1;
        }
        if (victims is null) return;
        foreach (Watcher w in victims)
        {
            Remove(w);
            w.MinRev = rev;
            w.Stream.MarkUnsynced(w);
        }
    }

    private void Collect(ref Dictionary<Watcher, WatchResponse>? batches, Watcher w, Event ev, long rev)
    {
        if (rev < w.MinRev) return; // a watcher that starts at a future revision
        Event? e = store.FilterEvent(w, ev, rev);
        if (e is null) return;
        batches ??= new Dictionary<Watcher, WatchResponse>();
        if (!batches.TryGetValue(w, out WatchResponse? resp))
        {
            batches[w] = resp = new WatchResponse { WatchId = w.Id, Header = new ResponseHeader { Revision = rev } };
        }
        resp.Events.Add(e);
    }
}
