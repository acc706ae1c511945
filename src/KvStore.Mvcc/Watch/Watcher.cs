namespace KvStore.Mvcc.Watch;

/// <summary>
/// One watcher: a key or range, the next revision it has to deliver (<see cref="MinRev"/>), its filters, and
/// whether it is synced (fed by writes as they happen) or catching up from history.
/// </summary>
internal sealed class Watcher(WatchStream stream, long id, byte[] key, byte[]? end, WatchOptions options)
{
    public readonly WatchStream Stream = stream;
    public readonly long Id = id;
    public readonly byte[] Key = key;

    /// <summary>null: the single key; empty: every key >= Key; else the exclusive end.</summary>
    public readonly byte[]? End = end;

    public readonly WatchOptions Options = options;

    /// <summary>The first revision not yet delivered. Guarded by the store lock.</summary>
    public long MinRev;

    /// <summary>In the store's synced group. Guarded by the store lock.</summary>
    public bool Synced;

    /// <summary>Position in the synced group's list that holds it (O(1) removal). Guarded by the store lock.</summary>
    public int SyncedSlot = -1;

    /// <summary>In its stream's queue of watchers to catch up. Guarded by the stream's gate.</summary>
    public bool Queued;

    /// <summary>Cancelled or ended by compaction: nothing more is delivered.</summary>
    public bool Closed;

    public bool IsRange => End is not null;

    public bool Contains(ReadOnlySpan<byte> key) => KeyRanges.Contains(Key, End, key);
}

/// <summary>What a watcher wants besides its range (etcd's WatchCreateRequest options).</summary>
public readonly record struct WatchOptions(bool PrevKv = false, bool NoPut = false, bool NoDelete = false);
