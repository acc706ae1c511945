// The FASTER session type every part of RecordStore uses (one writer, pooled readers, a compaction step's own).
global using Session = FASTER.core.ClientSession<
    KvStore.Storage.Revision, FASTER.core.SpanByte, FASTER.core.SpanByte, byte[]?, FASTER.core.Empty, KvStore.Storage.RecordFunctions>;

using System.Buffers.Binary;
using System.Collections.Concurrent;
using FASTER.core;

namespace KvStore.Storage;

/// <summary>
/// The only user of FASTER: a store of byte records keyed by <see cref="Revision"/>, with one writer and any
/// number of concurrent readers, checkpoints that carry the caller's applied index, and log compaction.
/// Writes are single-threaded: the caller serialises <see cref="Upsert"/>, <see cref="Delete"/> and
/// <see cref="BeginCheckpoint"/>. Reads may run on any thread at any time.
/// </summary>
public sealed partial class RecordStore : IDisposable
{
    private readonly FasterKV<Revision, SpanByte> _store;
    private readonly IDevice _device;
    private readonly RecordFunctions _functions = new();
    private readonly Session _writer;
    private readonly ConcurrentBag<Session> _readers = new();
    private readonly string _checkpointDir;
    private readonly DeviceWriteFailure _writeFailure = new();
    private Task? _checkpointTask; // the checkpoint being written, if any
    private bool _disposed;

    private RecordStore(StorageOptions options)
    {
        Options = options;
        System.IO.Directory.CreateDirectory(options.Directory);
        _checkpointDir = Path.Combine(options.Directory, "checkpoints");
        var checkpoints = new DeviceLogCommitCheckpointManager(new FailureReportingDeviceFactory(_writeFailure),
            new DefaultCheckpointNamingScheme(new DirectoryInfo(_checkpointDir).FullName), removeOutdated: true);
        _device = new FailureReportingDevice(Devices.CreateLogDevice(Path.Combine(options.Directory, "log", "hlog"),
            preallocateFile: false, deleteOnClose: false, recoverDevice: true), _writeFailure);
        _store = new FasterKV<Revision, SpanByte>(
            options.IndexBuckets,
            new LogSettings
            {
                LogDevice = _device,
                MemorySizeBits = options.MemorySizeBits,
                PageSizeBits = options.PageSizeBits,
                SegmentSizeBits = options.SegmentSizeBits,
                MutableFraction = options.MutableFraction,
            },
            new CheckpointSettings { CheckpointManager = checkpoints },
            comparer: RevisionComparer.Instance);

        if (HasCheckpoint(_checkpointDir))
        {
            Recover(checkpoints);
            byte[]? cookie = _store.RecoveredCommitCookie;
            RecoveredIndex = cookie is { Length: 8 } ? BinaryPrimitives.ReadInt64LittleEndian(cookie) : 0;
            Recovered = true;
        }
        _writer = NewSession();
    }

    public StorageOptions Options { get; }

    /// <summary>True when <see cref="Open"/> found and loaded a checkpoint.</summary>
    public bool Recovered { get; }

    /// <summary>The index the caller passed to the checkpoint that was recovered (0 for a new store).</summary>
    public long RecoveredIndex { get; }

    /// <summary>
    /// Completes with the first failed write to the store's files (the log or a checkpoint). FASTER never writes that
    /// data again, so the store cannot make another checkpoint: the caller must stop and recover from its own log.
    /// Never completes while writes succeed.
    /// </summary>
    public Task<IOException> WriteFailed => _writeFailure.Failed;

    /// <summary>Bytes of log between its begin and tail addresses (live and dead records).</summary>
    public long LogSizeBytes => _store.Log.TailAddress - _store.Log.BeginAddress;

    /// <summary>Bytes of log only on disk (below FASTER's head address): a read of a record there waits for the disk.</summary>
    public long OnDiskBytes => Math.Max(0, _store.Log.HeadAddress - _store.Log.BeginAddress);

    /// <summary>Bytes of the hash index a checkpoint writes (FASTER's ht.dat: 64 bytes per bucket), whatever the data's size.</summary>
    public long IndexCheckpointBytes => Options.IndexBuckets * 64;

    /// <summary>
    /// Bytes of the log's mutable region: not in the log files yet (a checkpoint, or the region growing past memory, flushes them).
    /// </summary>
    public long UnflushedBytes => Math.Max(0, _store.Log.TailAddress - _store.Log.ReadOnlyAddress);

    /// <summary>Opens (and recovers, when a checkpoint exists) the store in <see cref="StorageOptions.Directory"/>.</summary>
    public static RecordStore Open(StorageOptions options) => new(options);

    /// <summary>
    /// True when some log checkpoint's metadata was written completely (info.dat on device segment 0: a 4-byte
    /// length, then the body; FASTER creates the checkpoint's folder and this file when it commits). A crash
    /// between creating and writing the file (or a failed write) leaves an empty or short one; if that was the
    /// first checkpoint there is no durable state yet, and FASTER's Recover would throw ("Unable to find valid
    /// HybridLog token") on every open instead of starting empty.
    /// </summary>
    private static bool HasCheckpoint(string dir)
    {
        string cpr = Path.Combine(dir, "cpr-checkpoints");
        if (!System.IO.Directory.Exists(cpr)) return false;
        Span<byte> prefix = stackalloc byte[4];
        foreach (string token in System.IO.Directory.EnumerateDirectories(cpr))
        {
            var info = new DirectoryInfo(token).EnumerateFiles("info.dat*").FirstOrDefault();
            if (info is null || info.Length < 4) continue;
            using (FileStream f = info.OpenRead()) f.ReadExactly(prefix);
            if (info.Length >= 4L + BinaryPrimitives.ReadInt32LittleEndian(prefix)) return true;
        }
        return false;
    }

    /// <summary>
    /// Recovers the newest log checkpoint together with its own index checkpoint (a full checkpoint writes both under one
    /// token). FASTER's <c>Recover()</c> pairs the newest log checkpoint with the first index checkpoint whose final
    /// address is not beyond the log checkpoint's: after a crash between a newer checkpoint's index commit and its log
    /// commit, with nothing written between the two checkpoints, that is the newer checkpoint's index. Recovery then
    /// starts at that index's start address, past the older checkpoint's fuzzy region, so the writes made while the older
    /// checkpoint was taken (after its applied index) are not undone: they survived, and the log replay applied their
    /// commands a second time (CrashRecoveryTests, one to two revisions too many). When the index with the log
    /// checkpoint's token was already deleted (FASTER deletes the older index once a newer one commits), FASTER rebuilds the
    /// hash index from the log's begin address instead.
    /// </summary>
    private void Recover(DeviceLogCommitCheckpointManager checkpoints)
    {
        Guid newest = default;
        long newestVersion = -1;
        foreach (Guid token in checkpoints.GetLogCheckpointTokens())
        {
            try
            {
                byte[]? metadata = checkpoints.GetLogCheckpointMetadata(token, deltaLog: null, scanDelta: false, recoverTo: -1);
                if (metadata is null) continue;
                var info = new HybridLogRecoveryInfo();
                using (var reader = new StreamReader(new MemoryStream(metadata))) info.Initialize(reader);
                if (info.version > newestVersion) (newest, newestVersion) = (token, info.version);
            }
            catch (Exception e) when (e is FasterException or FormatException or OverflowException or IOException or ArgumentException)
            {
                // a checkpoint whose metadata is torn or missing: FASTER's own choice skips it too
            }
        }
        if (newestVersion < 0) _store.Recover(); // FASTER's own search, which fails the same way as before
        else _store.Recover(newest, newest);
    }

    private Session NewSession() => _store.For(_functions).NewSession<RecordFunctions>();

    /// <summary>Writes (or replaces) the record at <paramref name="key"/>. Writer only.</summary>
    public unsafe void Upsert(Revision key, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value)
        {
            var v = SpanByte.FromPointer(p, value.Length);
            _writer.Upsert(ref key, ref v);
        }
    }

    /// <summary>Removes the record at <paramref name="key"/>. Writer only.</summary>
    public void Delete(Revision key) => _writer.Delete(ref key);

    /// <summary>Reads the record at <paramref name="key"/>; null when there is none. Any thread.</summary>
    public byte[]? Read(Revision key)
    {
        while (true)
        {
            long begin = _store.Log.BeginAddress;
            byte[]? record = ReadOnce(key);
            if (record is not null || !BeginMovedSince(begin)) return record; // else a log compaction step moved it: again
        }
    }

    private byte[]? ReadOnce(Revision key)
    {
        Session session = RentReader();
        try
        {
            byte[]? output = null;
            Status status = session.Read(ref key, ref output);
            if (status.IsPending)
            {
                session.CompletePendingWithOutputs(out var outputs, wait: true);
                using (outputs)
                {
                    while (outputs.Next())
                    {
                        ref var completed = ref outputs.Current;
                        status = completed.Status;
                        output = completed.Output;
                    }
                }
            }
            return status.Found ? output : null;
        }
        finally
        {
            _readers.Add(session);
        }
    }

    private Session RentReader() => _readers.TryTake(out Session? s) ? s : NewSession();

    /// <summary>A live record as <see cref="ForEachLive"/> shows it: the value's bytes are valid only during the call.</summary>
    public delegate void RecordVisitor(Revision key, ReadOnlySpan<byte> value);

    /// <summary>
    /// Shows every live record, in no particular order, without copying its value (a recovery's rebuild reads only the
    /// few fields its in-memory indexes need; the values stay in the log). Writer only.
    /// </summary>
    public void ForEachLive(RecordVisitor visit)
    {
        using var iterator = _writer.Iterate();
        while (iterator.GetNext(out RecordInfo _)) visit(iterator.GetKey(), iterator.GetValue().AsReadOnlySpan());
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            // a checkpoint that cannot finish leaves FASTER's state machine waiting: abandon the store, do not dispose it
            if (_checkpointTask?.Wait(Options.CloseTimeout) == false) return;
        }
        catch (AggregateException) { }
        if (_writeFailure.HasFailed) return; // likewise after a failed write (RecordStoreTests.CheckpointFailsWhenTheDiskIsFull)
        _writer.Dispose();
        while (_readers.TryTake(out Session? s)) s.Dispose();
        _store.Dispose();
        _device.Dispose();
    }
}
