using Etcdserverpb;

namespace KvStore.Mvcc.Watch;

/// <summary>
/// A group of watchers read through one bounded queue of responses (etcd's watchStream; a gRPC Watch stream
/// maps onto one). Writers never wait on it: when the queue is full the watcher falls out of the synced
/// group, and the reader catches it up from history once it has drained the queue. Events of one revision
/// reach a synced watcher as one response.
/// </summary>
public sealed class WatchStream : IDisposable
{
    private readonly MvccStore _store;
    private readonly object _gate = new();
    private readonly Queue<WatchResponse> _queue = new();
    private readonly Dictionary<long, Watcher> _watchers = new();
    // Watchers to catch up, round-robin; a cancelled one is skipped when it comes up (Watcher.Closed).
    private readonly Queue<Watcher> _unsynced = new();
    private TaskCompletionSource _signal = NewSignal();
    private long _nextId;
    private bool _closed;

    internal WatchStream(MvccStore store, int capacity)
    {
        _store = store;
        Capacity = capacity;
    }

    /// <summary>Most responses queued before watchers fall behind.</summary>
    public int Capacity { get; }

    /// <summary>Number of watchers on this stream.</summary>
    public int Count
    {
        get { lock (_gate) return _watchers.Count; }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Starts a watcher on key (range_end as in etcd requests: empty for one key, "\0" for every key >= key)
    /// from <paramref name="startRevision"/> (0: the next write). <paramref name="watchId"/> 0 picks the
    /// next free id. Returns the watcher's id.
    /// </summary>
    public MvccResult<WatchCreated> Watch(ReadOnlySpan<byte> key, ReadOnlySpan<byte> rangeEnd, long startRevision,
        WatchOptions options = default, long watchId = 0)
    {
        byte[]? end = KeyRanges.End(rangeEnd);
        if (end is { Length: > 0 } && key.SequenceCompareTo(end) >= 0) return MvccError.EmptyWatcherRange;
        Watcher w;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (watchId == 0)
            {
                while (_watchers.ContainsKey(_nextId)) _nextId++;
                watchId = _nextId++;
            }
            else if (_watchers.ContainsKey(watchId))
            {
                return MvccError.DuplicateWatchId;
            }
            w = new Watcher(this, watchId, key.ToArray(), end, options);
            _watchers.Add(watchId, w);
        }
        long rev = _store.AddWatcher(w, startRevision);
        if (!w.Synced) MarkUnsynced(w);
        return new WatchCreated(watchId, rev);
    }

    /// <summary>Stops a watcher; false if this stream has no watcher with that id.</summary>
    public bool Cancel(long watchId)
    {
        Watcher? w;
        lock (_gate)
        {
            if (!_watchers.Remove(watchId, out w)) return false;
            w.Closed = true; // dropped from _unsynced when it comes up

        }
        _store.RemoveWatcher(w);
        return true;
    }

    /// <summary>
    /// Queues a progress response for the watcher (its id, the current revision, no events) if it is synced;
    /// false when it is still catching up (a client must not take that revision as its progress then).
    /// </summary>
    public bool RequestProgress(long watchId)
    {
        Watcher? w;
        lock (_gate)
        {
            if (!_watchers.TryGetValue(watchId, out w)) return false;
        }
        return _store.TryQueueProgress(this, [w], watchId);
    }

    /// <summary>
    /// etcd 3.5's RequestProgressAll: when every watcher of this stream is synced, queues one progress
    /// response (no events, the current revision) with watch id -1, which a client takes as progress for
    /// all its watchers on the stream. False, and nothing queued, while some watcher is still catching up.
    /// With no watchers nothing is queued (as etcd).
    /// </summary>
    public bool RequestProgressAll()
    {
        Watcher[] all;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            all = [.. _watchers.Values];
        }
        return _store.TryQueueProgress(this, all, -1);
    }

    /// <summary>True when every watcher of this stream is synced (nothing older than the current revision is pending).</summary>
    public bool AllSynced
    {
        get
        {
            lock (_gate) return _watchers.Values.All(w => w.Synced);
        }
    }

    /// <summary>Takes the next response, catching up a watcher that fell behind when the queue is empty.</summary>
    public bool TryRead(out WatchResponse response)
    {
        while (true)
        {
            Watcher? behind;
            lock (_gate)
            {
                if (_queue.TryDequeue(out response!)) return true;
                if (_closed || !_unsynced.TryDequeue(out behind)) return false;
                // Off the queue while it is caught up: if it rejoins the synced group and at once falls behind
                // again, MarkUnsynced must queue it anew.
                behind.Queued = false;
                if (behind.Closed) continue;
            }
            // Catch this watcher up by one chunk of history (or cancel it when its start was compacted).
            bool done = _store.CatchUp(behind);
            if (!done)
            {
                // Round-robin so one far-behind watcher does not starve the others.
                MarkUnsynced(behind);
            }
        }
    }

    /// <summary>Waits for the next response.</summary>
    public async ValueTask<WatchResponse> ReadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_closed, this);
                wait = _signal.Task;
            }
            if (TryRead(out WatchResponse response)) return response;
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Queues a response unless the queue is full. Called under the store's write lock.</summary>
    internal bool TryEnqueue(WatchResponse response)
    {
        lock (_gate)
        {
            if (_closed) return true; // nobody reads any more: drop it
            if (_queue.Count >= Capacity) return false;
            _queue.Enqueue(response);
        }
        Signal();
        return true;
    }

    /// <summary>Queues a response that must not be dropped (catch-up and compaction notices from the reader itself).</summary>
    internal void Enqueue(WatchResponse response)
    {
        lock (_gate) _queue.Enqueue(response);
        Signal();
    }

    internal void MarkUnsynced(Watcher w)
    {
        lock (_gate)
        {
            if (w.Closed || w.Queued) return;
            w.Queued = true;
            _unsynced.Enqueue(w);
        }
        Signal();
    }

    /// <summary>Drops a watcher ended by compaction (its notice is already queued).</summary>
    internal void Forget(Watcher w)
    {
        lock (_gate)
        {
            _watchers.Remove(w.Id);
            w.Closed = true;
        }
    }

    private void Signal() => Interlocked.Exchange(ref _signal, NewSignal()).TrySetResult();

    internal void Close()
    {
        Watcher[] all;
        lock (_gate)
        {
            if (_closed) return;
            _closed = true;
            all = [.. _watchers.Values];
            _watchers.Clear();
            _unsynced.Clear();
            foreach (Watcher w in all) w.Closed = true;
        }
        foreach (Watcher w in all) _store.RemoveWatcher(w);
        _store.ForgetStream(this);
        _signal.TrySetCanceled();
    }

    public void Dispose() => Close();
}

/// <summary>A new watcher's id and the store revision when it was created.</summary>
public sealed record WatchCreated(long WatchId, long Revision);
