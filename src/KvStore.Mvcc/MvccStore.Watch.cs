using Etcdserverpb;
using KvStore.Mvcc.Watch;
using KvStore.Storage;
using Mvccpb;

namespace KvStore.Mvcc;

public sealed partial class MvccStore
{
    /// <summary>Most revisions one catch-up step reads for a watcher that fell behind.</summary>
    private const int CatchUpRevisions = 256;

    /// <summary>Catch-up stops at the first revision boundary after this many events.</summary>
    private const int CatchUpEvents = 1000;

    /// <summary>Synced watchers (fed by writes as they happen), across all streams.</summary>
    public int SyncedWatcherCount
    {
        get
        {
            _lock.EnterReadLock();
            try { return _watchers.SyncedCount; } finally { _lock.ExitReadLock(); }
        }
    }

    /// <summary>A new stream of watchers whose responses queue up to <paramref name="capacity"/> deep.</summary>
    public WatchStream NewWatchStream(int capacity = 128)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var stream = new WatchStream(this, capacity);
        _watchers.AddStream(stream);
        return stream;
    }

    internal void ForgetStream(WatchStream stream) => _watchers.RemoveStream(stream);

    /// <summary>Registers a watcher: synced when it starts at the next write or later, else it catches up. Returns the current revision.</summary>
    internal long AddWatcher(Watcher w, long startRev)
    {
        _lock.EnterWriteLock();
        try
        {
            if (startRev == 0 || startRev > _currentRev)
            {
                w.MinRev = Math.Max(_currentRev + 1, startRev);
                _watchers.Add(w);
            }
            else
            {
                w.MinRev = startRev;
            }
            return _currentRev;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    internal void RemoveWatcher(Watcher w)
    {
        if (_disposed) return;
        _lock.EnterWriteLock();
        try
        {
            _watchers.Remove(w);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// etcd's progressIfSync: when every watcher given is synced (and none starts beyond the next revision),
    /// queues one response with no events at the current revision, as <paramref name="responseId"/>. Queued
    /// under the store lock, so no event of a later revision can be queued before it and none of an earlier
    /// one after it. True when sent (or there was no watcher to send it for).
    /// </summary>
    internal bool TryQueueProgress(WatchStream stream, IReadOnlyCollection<Watcher> watchers, long responseId)
    {
        _lock.EnterReadLock();
        try
        {
            foreach (Watcher w in watchers)
            {
                if (!w.Synced || w.MinRev > _currentRev + 1) return false;
            }
            if (watchers.Count == 0) return true;
            stream.Enqueue(new WatchResponse { WatchId = responseId, Header = Header() });
            return true;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Applies a watcher's filters to one change and adds prev_kv when asked. Null when filtered out.
    /// Caller holds a store lock.
    /// </summary>
    internal Event? FilterEvent(Watcher w, Event ev, long rev)
    {
        bool isPut = ev.Type == Event.Types.EventType.Put;
        if ((isPut && w.Options.NoPut) || (!isPut && w.Options.NoDelete)) return null;
        if (!w.Options.PrevKv) return ev;
        var withPrev = new Event { Type = ev.Type, Kv = ev.Kv };
        // etcd (v3rpc watch.go) does not look up prev_kv for a create event: a key deleted and created again in
        // one txn (delete of a "\0" range, then put) must not show the deleted version as the create's prev_kv.
        bool create = isPut && ev.Kv.CreateRevision == ev.Kv.ModRevision;
        if (!create && rev - 1 >= _compactRev)
        {
            List<Revision> prev = CollectVisible(ev.Kv.Key.Span, null, rev - 1);
            if (prev.Count > 0) withPrev.PrevKv = ReadKeyValue(prev[0]);
        }
        return withPrev;
    }

    /// <summary>
    /// One catch-up step for a watcher behind the current revision: reads a chunk of history and queues the
    /// matching events as one response; when it reaches the current revision, puts the watcher back in the
    /// synced group. A watcher whose next revision was compacted gets a response carrying the compact
    /// revision and ends. Returns true when the watcher no longer needs catching up.
    /// </summary>
    internal bool CatchUp(Watcher w)
    {
        if (w.Closed) return true;
        _lock.EnterReadLock();
        try
        {
            if (w.MinRev < _compactRev)
            {
                // etcd's chooseAll sends WatchResponse{WatchID, CompactRevision} with no revision: header revision 0.
                w.Stream.Enqueue(new WatchResponse { WatchId = w.Id, Header = new ResponseHeader(), CompactRevision = _compactRev });
                w.Stream.Forget(w);
                return true;
            }
            long cur = _currentRev;
            if (w.MinRev <= cur)
            {
                (long to, List<Event> events) = ReadHistory(w, w.MinRev, Math.Min(cur, w.MinRev + CatchUpRevisions - 1));
                if (events.Count > 0)
                {
                    var resp = new WatchResponse { WatchId = w.Id, Header = new ResponseHeader { Revision = to } };
                    resp.Events.AddRange(events);
                    w.Stream.Enqueue(resp);
                }
                w.MinRev = to + 1;
                if (w.MinRev <= cur) return false;
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        // Caught up to what was current: rejoin the synced group unless writes landed meanwhile.
        _lock.EnterWriteLock();
        try
        {
            if (w.Closed) return true;
            if (w.MinRev <= _currentRev) return false;
            _watchers.Add(w);
            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// The watcher's events with main revision in [from, to] read from storage, stopping early at a revision
    /// boundary once enough events were found. Returns the last revision read. Caller holds a store lock.
    /// </summary>
    private (long To, List<Event> Events) ReadHistory(Watcher w, long from, long to)
    {
        var events = new List<Event>();
        for (long main = from; main <= to; main++)
        {
            // Above the compact revision every change is still stored, so the sub revisions run 0..n-1 with
            // no gap; at the compact revision its tombstones are gone, so probe every sub it had.
            bool atCompact = main == _compactRev;
            for (long sub = 0; ; sub++)
            {
                if (atCompact && sub >= _compactSubCount) break;
                byte[]? record = _records.Read(new Revision(main, sub));
                if (record is null)
                {
                    if (atCompact) continue;
                    break;
                }
                KeyValue kv = RecordCodec.ReadKeyValue(record, out bool tombstone);
                if (!w.Contains(kv.Key.Span)) continue;
                // A record the compaction drops but its batches have not deleted yet is not an event (ModelTests).
                if (atCompact && !KeptByCompaction(kv.Key.Span, new Revision(main, sub))) continue;
                Event ev = tombstone
                    ? new Event { Type = Event.Types.EventType.Delete, Kv = new KeyValue { Key = kv.Key, ModRevision = main } }
                    : new Event { Type = Event.Types.EventType.Put, Kv = kv };
                Event? filtered = FilterEvent(w, ev, main);
                if (filtered is not null) events.Add(filtered);
            }
            if (events.Count >= CatchUpEvents) return (main, events);
        }
        return (to, events);
    }

    /// <summary>True when the compaction at the compact revision keeps <paramref name="rev"/> of the key (etcd's keep).</summary>
    private bool KeptByCompaction(ReadOnlySpan<byte> key, Revision rev) =>
        _index.Get(key) is { } ki && ki.TryKeep(_compactRev, out Revision kept) && kept == rev;
}
