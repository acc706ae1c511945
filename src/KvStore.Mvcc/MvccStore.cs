using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc.Index;
using KvStore.Mvcc.Leases;
using KvStore.Mvcc.Watch;
using KvStore.Storage;
using Mvccpb;

namespace KvStore.Mvcc;

/// <summary>
/// An embedded, deterministic MVCC key-value store with etcd v3's revision semantics (etcd's mvcc package
/// plus the KV part of its applier). Records live in FASTER keyed by revision; an in-memory B+ tree maps each
/// key to its generations of revisions. One writer at a time (the apply path), any number of readers.
/// Writes carry the index of the command they come from; <see cref="ConsistentIndex"/> is checkpointed with
/// the data, and a command at or below it is not applied again.
/// </summary>
public sealed partial class MvccStore : IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly RecordStore _records;
    private readonly BPlusTree _index = new();
    private readonly Lessor _lessor;
    private long _currentRev = 1; // etcd: an empty store is at revision 1; the first write makes 2
    private long _compactRev = -1; // etcd: -1 until the first compaction
    private long _compactSubCount;
    private long _consistentIndex;
    private readonly WatcherRegistry _watchers;
    // Bytes of records written or deleted since the last checkpoint (key-values, leases, compaction): a clean
    // close checkpoints when it is not 0 or the consistent index moved.
    private long _bytesSinceCheckpoint;
    private long _checkpointIndex;
    private long _lastCheckpointTicks;
    private bool _checkpointed; // a checkpoint was started since the store was opened
    private long _deadRecords; // records compaction made dead, for the storage's log compaction
    // Compaction runs in batches off the apply path (etcd's scheduleCompaction): _compactRev is the scheduled
    // compaction, _finishedCompactRev the last one whose history is all gone (etcd's finishedCompactRev).
    private long _finishedCompactRev = -1;
    private long _compactingRev = -1; // the compaction the batches work on; its key cursor restarts when it changes
    private byte[]? _compactCursor; // first key of the next batch; null once every key was compacted
    // Dropped from the index, records not deleted yet; deleted in the order dropped, so a generation's tombstone goes last.
    private readonly Queue<Revision> _compactDrops = new();
    private bool _compactionRunning; // a batch worker is scheduled; guarded by the write lock
    private readonly Lock _logCompactionGate = new(); // held by a log compaction step, and by what must not run beside one
    private Task _compactionTask = Task.CompletedTask;
    private volatile bool _closing;
    private bool _disposed;
    private volatile bool _abandoned; // a write transaction was left by a failed command (AbandonWrite)

    private MvccStore(MvccOptions options)
    {
        Options = options;
        _records = RecordStore.Open(options.StorageOrDefault());
        _consistentIndex = _checkpointIndex = _records.RecoveredIndex;
        _watchers = new WatcherRegistry(this);
        _lessor = new Lessor(options.MinLeaseTtl, () => CurrentRevision);
        if (_records.Recovered) RebuildFromRecords();
        _lastCheckpointTicks = Environment.TickCount64;
        ScheduleCompactionWarmUp();
    }

    public MvccOptions Options { get; }

    /// <summary>The lessor: the lease table, its records and the attachments of keys (etcd's lease.Lessor).</summary>
    public Lessor Lessor => _lessor;

    /// <summary>Opens the store in <see cref="MvccOptions.Directory"/>, recovering its last checkpoint.</summary>
    public static MvccStore Open(MvccOptions options) => new(options);

    /// <summary>Opens a store in <paramref name="directory"/> with default options.</summary>
    public static MvccStore Open(string directory) => new(new MvccOptions { Directory = directory });

    /// <summary>Revision of the last write (1 for an empty store, as etcd).</summary>
    public long CurrentRevision => Volatile.Read(ref _currentRev);

    /// <summary>Revision of the last compaction (-1 when never compacted, as etcd).</summary>
    public long CompactRevision => Volatile.Read(ref _compactRev);

    /// <summary>Index of the last command applied (the consistent index); recovered from the checkpoint.</summary>
    public long ConsistentIndex => Volatile.Read(ref _consistentIndex);

    /// <summary>Number of keys in the index, live or with history only.</summary>
    public int IndexedKeyCount
    {
        get
        {
            _lock.EnterReadLock();
            try { return _index.Count; } finally { _lock.ExitReadLock(); }
        }
    }

    /// <summary>
    /// Keys live at the current revision, as etcd's keys_total gauge counts them (+1 when a key is created, -1
    /// when it is deleted; keys with history only are not counted). Tested by LiveKeyCountTests.
    /// </summary>
    public int LiveKeyCount
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                int live = 0;
                foreach (KeyIndex ki in _index.Scan([], []))
                {
                    if (ki.IsLive) live++;
                }
                return live;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Bytes of FASTER log between begin and tail (live and not yet reclaimed records).</summary>
    public long StorageSizeBytes => _records.LogSizeBytes;

    /// <summary>Bytes every checkpoint writes for the hash index, however little data there is.</summary>
    public long IndexCheckpointBytes => _records.IndexCheckpointBytes;

    /// <summary>Bytes of records not in the log files yet (they are written there at the next checkpoint).</summary>
    public long UnflushedBytes => _records.UnflushedBytes;

    /// <summary>
    /// Rebuilds the key index, lease table and revisions from the recovered records. The auth record stays as it is:
    /// its owner reads it (<see cref="ReadRecord"/>). A history record is read in place for what the index needs (its
    /// key, create revision, version, lease and kind), never copied out with its value: the values stay in the log.
    /// </summary>
    private void RebuildFromRecords()
    {
        var history = new List<RecoveredRevision>();
        var leaseRecords = new List<byte[]>();
        using Lock.Scope gate = _logCompactionGate.EnterScope(); // a restore's rebuild: no log compaction step moves a record
        _records.ForEachLive((key, record) =>
        {
            if (key.Main >= 0)
            {
                KeyValueFields f = KeyValueView.ReadFields(record);
                // each key's entry made now (in log order), its generations filled in below (in revision order)
                history.Add(new RecoveredRevision(key, _index.GetOrAdd(f.Key(record)), f.CreateRevision, f.Version, f.Lease, f.Tombstone));
            }
            else if (key.Main == RecordCodec.LeaseSpace) leaseRecords.Add(record.ToArray());
            else if (key == RecordCodec.MetaKey) (_compactRev, _compactSubCount, _finishedCompactRev) = RecordCodec.DecodeMeta(record.ToArray());
        });

        _lessor.Recover(leaseRecords);

        history.Sort((a, b) => a.Rev.CompareTo(b.Rev));
        var emptied = new List<KeyIndex>();
        foreach ((Revision rev, KeyIndex ki, long created, long version, long lease, bool tombstone) in history)
        {
            if (tombstone)
            {
                ki.Tombstone(rev); // false only for a tombstone whose generation was compacted away
                _lessor.Detach(ki.Key);
                if (ki.IsEmpty) emptied.Add(ki);
            }
            else
            {
                if (ki.IsLive) ki.Put(rev);
                else ki.Restore(new Revision(created, 0), rev, version);
                _lessor.Detach(ki.Key);
                if (lease != 0) _lessor.Attach(lease, ki.Key); // recovery re-attaches as the history replays
            }
            _currentRev = Math.Max(_currentRev, rev.Main);
        }
        foreach (KeyIndex ki in emptied)
        {
            if (ki.IsEmpty) _index.Remove(ki.Key); // a key whose history is only a compacted generation's tombstone
        }
        _currentRev = Math.Max(_currentRev, _compactRev);
        ScheduleCompactionLocked(); // a compaction cut short resumes at start (etcd's restore)
    }

    /// <summary>One history record as the rebuild needs it: its revision, its key's index entry and the fields it keeps.</summary>
    private readonly record struct RecoveredRevision(Revision Rev, KeyIndex Index, long CreateRevision, long Version, long Lease, bool Tombstone);

    private ResponseHeader Header() => new() { Revision = _currentRev };

    /// <summary>
    /// A component's record (the auth store's), as the last write transaction, restore or recovery left it; null when
    /// there is none. The component reads it when it opens and after a snapshot restore (etcd's authStore.Recover).
    /// </summary>
    public byte[]? ReadRecord(Revision key)
    {
        _lock.EnterReadLock();
        try { return _records.Read(key); } finally { _lock.ExitReadLock(); }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _closing = true; // the compaction stops between batches and resumes at the next open
        _compactionTask.Wait();
        _watchers.CloseAll();
        // A clean close checkpoints what was applied, so the next open replays nothing.
        // A checkpoint that cannot be written within the storage's close timeout is given up: the caller's log replays it.
        if (!_abandoned && (_bytesSinceCheckpoint > 0 || _consistentIndex != _checkpointIndex))
        {
            try
            {
                CheckpointAsync().WaitAsync(_records.Options.CloseTimeout).GetAwaiter().GetResult();
            }
            catch (TimeoutException)
            {
                _disposed = true;
                return;
            }
        }
        _disposed = true;
        _records.Dispose();
        _lock.Dispose();
    }
}
