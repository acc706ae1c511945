using System.Buffers.Binary;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Etcdserverpb;
using KvStore.Server.Snapshots;
using Kvstorepb;
using Microsoft.Extensions.Logging;

namespace KvStore.Server;

/// <summary>
/// Raft snapshots (etcd's triggerSnapshot/applySnapshot). The engine's FASTER checkpoint is the snapshot's
/// data; <see cref="SnapshotFile"/> records the Raft index and term it covers.
/// <para>Taking: after --snapshot-count applied commands (etcd counts committed requests, one per Raft entry;
/// our entries are batches, so we count the commands in them, not the entries), the apply loop starts an
/// engine checkpoint at the entry's end; once durable, the marker is written and <see cref="Snapshot"/>
/// moves to that index. DotNext's flusher then sees a newer snapshot and deletes the WAL pages up to it, and
/// on restart the WAL replays only the entries after it (commands the engine's later checkpoint holds are
/// skipped by their engine index).</para>
/// <para>Installing: when a member's next entry was compacted on the leader (or it is new), DotNext sends
/// <see cref="Snapshot"/>'s payload (a live engine export) and calls <see cref="InstallSnapshotAsync"/> (DotNext's log
/// through the adapter, with an entry that <c>IsSnapshot</c>). DotNext bounds that whole exchange by its Raft request timeout (3/4 of the election
/// timeout), and a leader whose install request times out never lets the member go on; so the install only
/// spools the payload durably (<see cref="PendingFileName"/>), checks its SHA-256 and records the marker, and
/// the engine restore runs after it, before the next entry is applied (<see cref="_pendingRestore"/>). Until it
/// is done linearizable reads wait for it (<see cref="Restored"/>: DotNext already counts the entry applied) and a
/// snapshot it would send as leader waits for it. A member that stops in between restores the pending payload when it starts.</para>
/// <para>Catching up: a snapshot taken here is reported to DotNext (which then drops the log up to it and sends it to
/// members that need an entry before it) only once the log has --experimental-snapshot-catchup-entries entries past it
/// (etcd's SnapshotCatchUpEntries); until then the previous one stays. Otherwise a member whose install took longer
/// than the leader took to snapshot again found the entries after its snapshot gone and was sent snapshot after
/// snapshot, never catching up (a member added back under load at --snapshot-count 500, in a long robustness run).
/// The payload is a live export, past the reported index; the entries after it that the export holds are skipped
/// by their engine index.</para>
/// </summary>
internal sealed partial class RaftStateMachine
{

    /// <summary>An installed snapshot's payload not yet restored into the engine (see the class remarks).</summary>
    private const string PendingFileName = "install.pending";

    /// <summary>The last snapshot whose state the engine's durable checkpoint holds; null before the first one.</summary>
    public ISnapshot? Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>
    /// Nothing to reclaim: there is one snapshot, the engine itself (FASTER drops its own outdated
    /// checkpoints), and a payload export lives in a delete-on-close file for one transfer only.
    /// </summary>
    public ValueTask ReclaimGarbageAsync(long watermark, CancellationToken token)
    {
        Log.LogCompacted(_logger, watermark);
        return ValueTask.CompletedTask;
    }

    private EngineSnapshot? LoadSnapshot()
    {
        Directory.CreateDirectory(_snapshotDirectory);
        foreach (string stale in Directory.EnumerateFiles(_snapshotDirectory, "*.tmp")) File.Delete(stale); // a crash mid-transfer
        string pending = Path.Combine(_snapshotDirectory, PendingFileName);
        if (File.Exists(pending))
        {
            // Installed (DotNext may already count on it) but stopped before the engine held it: restore it now.
            RestorePendingAsync(pending, index: 0).GetAwaiter().GetResult();
        }
        if (SnapshotFile.Read(_snapshotDirectory) is not var (index, term, alarms)) return null;
        // The marker is written only after an engine checkpoint covering it is durable: an engine behind it
        // would silently miss the entries the WAL has already dropped.
        long engineRaftIndex = RaftIndex(_store.ConsistentIndex);
        if (engineRaftIndex < index)
        {
            throw new InvalidDataException(
                $"the engine's checkpoint is at raft index {engineRaftIndex}, behind the raft snapshot at {index}: the data dir is damaged");
        }
        _alarms.Replace(alarms); // the entries after the snapshot re-apply later alarm changes
        Log.SnapshotLoaded(_logger, index, term, engineRaftIndex);
        return NewSnapshot(index, term);
    }

    /// <summary>
    /// Counts applied commands and starts a snapshot every --snapshot-count of them, or at the next entry after
    /// the current snapshot was sent more than once (see <see cref="OnSnapshotResent"/>). Apply loop only.
    /// </summary>
    private void CountForSnapshot(long index, long term, int commands)
    {
        _commandsSinceSnapshot += commands;
        bool wanted = _snapshotWanted && index > (Volatile.Read(ref _snapshot)?.Index ?? 0);
        if ((_commandsSinceSnapshot < _snapshotCount && !wanted) || !_snapshotTask.IsCompleted) return;
        _commandsSinceSnapshot = 0;
        bool immediate = _snapshotWanted;
        _snapshotWanted = false;
        // An entry without commands (a leader's no-op) moves the consistent index here, so that the engine's
        // checkpoint visibly covers the snapshot's index (checked on start).
        if (commands == 0) _store.MarkApplied(EngineIndex(index, 0));
        _snapshotTask = TakeSnapshotAsync(index, term, immediate);
    }

    /// <summary>
    /// Called when the leader has sent the same <see cref="Snapshot"/> more often than it has followers: asks for
    /// a newer snapshot at the next applied entry, reported at once, and appends an empty entry so that there is a
    /// next one. DotNext 6.12 makes a member reject an install at or below its commit index and the leader then
    /// resends the same snapshot forever; that happens when the member finished installing but the leader's
    /// request timed out (a slow export, transfer or checkpoint). The next retry carries a newer index, which the
    /// member accepts. Not sooner: the newer snapshot drops the log that members which just installed this one
    /// need next, and they would be sent snapshot after snapshot.
    /// </summary>
    private void OnSnapshotResent()
    {
        _snapshotWanted = true;
        _member.AppendEmptyEntry(); // the next entry, even when no client writes
    }

    /// <param name="immediate">Reported at once, without the catch-up window: a member is being sent the current one again
    /// and needs a newer one.</param>
    private async Task TakeSnapshotAsync(long index, long term, bool immediate)
    {
        try
        {
            // Starts at once (between two entries, so at the end of entry `index`) unless an engine checkpoint
            // is running; then it starts after that one, at a later applied index, which covers `index` too.
            await _store.CheckpointAsync().ConfigureAwait(false);
            Publish(index, term, immediate);
            Log.SnapshotTaken(_logger, index, term);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The WAL keeps its entries until the next snapshot succeeds: nothing is lost, only disk.
            Log.SnapshotFailed(_logger, index, e);
        }
    }

    /// <summary>
    /// Records a snapshot at <paramref name="index"/> (the marker a restart starts from) unless a newer one is, and
    /// reports to DotNext the newest taken one the catch-up window has passed (this one if <paramref name="immediate"/>).
    /// </summary>
    private void Publish(long index, long term, bool immediate)
    {
        lock (_snapshotLock)
        {
            long newest = _taken.Count > 0 ? _taken.Last().Index : _snapshot?.Index ?? 0;
            if (newest >= index) return;
            // Alarms as of now (at or after `index`): replaying the entries after `index` re-applies later changes.
            SnapshotFile.Write(_snapshotDirectory, index, term, _alarms.List());
            _taken.Enqueue((index, term));
            (long Index, long Term)? report = null;
            while (_taken.TryPeek(out var oldest) && (immediate || oldest.Index <= index - _catchUpEntries)) report = _taken.Dequeue();
            if (report is var (reportIndex, reportTerm)) Volatile.Write(ref _snapshot, NewSnapshot(reportIndex, reportTerm));
        }
    }

    /// <summary>
    /// Installs a snapshot sent by the leader (DotNext calls this under its overwrite lock: the apply loop is
    /// paused, and the leader waits for the answer within its request timeout). Spools the payload to
    /// <see cref="PendingFileName"/> durably, checks it, records the marker and starts the engine restore, which the
    /// next apply waits for. Returns the snapshot's <paramref name="index"/>, which <see cref="Snapshot"/> then
    /// reports, as DotNext requires (it takes its commit index from it). Any log calls it with the leader's
    /// <paramref name="snapshot"/> entry (its term and payload) and the index it covers.
    /// </summary>
    public async ValueTask<long> InstallSnapshotAsync(IRaftLogEntry snapshot, long index, CancellationToken token)
    {
        Log.InstallingSnapshot(_logger, index, snapshot.Term);
        await _snapshotTask.ConfigureAwait(false); // a local snapshot in flight must not publish over this one
        await _pendingRestore.ConfigureAwait(false); // one pending payload at a time
        RequireRoom(index, 0);
        string pending = Path.Combine(_snapshotDirectory, PendingFileName), temp = pending + ".tmp";
        List<AlarmMember> alarms;
        try
        {
            var file = new FileStream(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                await snapshot.WriteToAsync(file, 1 << 16, token).ConfigureAwait(false);
                await file.FlushAsync(token).ConfigureAwait(false);
                (alarms, _) = ReadPayloadHeader(file);
                KvStore.Mvcc.MvccStore.VerifySnapshot(file); // damaged: the install fails here and the leader sends it again
                file.Flush(flushToDisk: true);
                RequireRoom(index, RestoreRoom(file.Length));
            }
        }
        catch
        {
            // Abandoned (a full disk, a damaged or cut payload): nothing recorded, its space given back; the leader
            // sends a snapshot again. Tested by DiskFullTests.FollowerCatchingUpBySnapshotOnAFullDiskCatchesUpWhenSpaceReturns.
            File.Delete(temp);
            throw;
        }
        File.Move(temp, pending, overwrite: true);
        SnapshotFile.FsyncDirectory(_snapshotDirectory);
        lock (_snapshotLock)
        {
            // The marker goes after the payload: on start, a pending payload is restored before the marker is checked.
            SnapshotFile.Write(_snapshotDirectory, index, snapshot.Term, alarms);
            _taken.Clear(); // the log before the installed snapshot is gone here
            Volatile.Write(ref _snapshot, NewSnapshot(index, snapshot.Term));
        }
        _commandsSinceSnapshot = 0;
        _pendingRestore = Task.Run(() => RestorePendingAsync(pending, index), CancellationToken.None);
        return index;
    }

    /// <summary>
    /// Disk the engine restore of a <paramref name="payloadBytes"/> payload writes: its records twice over, and the hash
    /// index its checkpoint writes whatever the payload's size (16 MB by default), beside the checkpoint it replaces.
    /// Tested by DiskFullTests.FollowerCatchingUpBySnapshotOnAFullDiskCatchesUpWhenSpaceReturns.
    /// </summary>
    private long RestoreRoom(long payloadBytes) => 2 * payloadBytes + _store.IndexCheckpointBytes;

    /// <summary>
    /// Refuses an install (the leader sends a snapshot again later) unless the disks hold <paramref name="bytes"/>
    /// beyond the reserve: a restore that runs out of space midway stops the member (<see cref="DataDir.EngineWriteFailure"/>).
    /// </summary>
    private void RequireRoom(long index, long bytes)
    {
        if (_member.HasDiskRoomFor(bytes, out long free)) return;
        Log.InstallRefused(_logger, index, free, bytes + DataDir.DiskRoom.ReserveBytes);
        throw new IOException("no space left on device");
    }

    /// <summary>
    /// Replaces the engine's state with a pending installed payload (its SHA-256 is checked again first), then
    /// removes it and reports the snapshot's <paramref name="index"/> as applied (0 on start: the WAL's replay does).
    /// A failure here leaves the member unable to go on without divergence: it stops, and its next start retries.
    /// </summary>
    private async Task RestorePendingAsync(string pending, long index)
    {
        try
        {
            var file = new FileStream(pending, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            await using (file.ConfigureAwait(false))
            {
                var (alarms, members) = ReadPayloadHeader(file);
                // Replaces the state, moves watchers to catch up, and checkpoints (the marker is then covered).
                await _store.RestoreAsync(file).ConfigureAwait(false);
                // etcd's applySnapshot: authStore.Recover (SnapshotTests.AMemberBehindTheCompactedLogCatchesUpThroughASnapshot).
                _auth.Recover();
                _alarms.Replace(alarms);
                // Before the payload goes: a member that stops here installs the record again when it starts.
                _member.InstallMembers(members);
            }
            File.Delete(pending);
            SnapshotFile.FsyncDirectory(_snapshotDirectory);
        }
        catch (Exception e)
        {
            Log.RestoreFailed(_logger, pending, e);
            Environment.FailFast($"restoring the installed raft snapshot '{pending}' failed: {e.Message}", e);
        }
        if (index > 0)
        {
            _member.Applied(index);
            _member.SnapshotInstalled();
        }
        Log.SnapshotInstalled(_logger, index, _store.CurrentRevision, _store.ConsistentIndex);
    }

    /// <summary>Applies <paramref name="entry"/> once the pending snapshot restore is done.</summary>
    private async ValueTask<long> ApplyAfterRestoreAsync(RaftEntry entry, CancellationToken token)
    {
        await _pendingRestore.ConfigureAwait(false);
        return await ApplyAsync(entry, token).ConfigureAwait(false);
    }

    /// <summary>Completes once no installed snapshot waits to be restored (before exporting the engine).</summary>
    private Task RestoredAsync() => _pendingRestore;

    /// <summary>
    /// Completes once the engine holds every installed snapshot: DotNext counts a snapshot entry applied once it is
    /// spooled, before the engine restore, so a linearizable read waits for this too (the applied index alone would
    /// let it read the state from before the snapshot).
    /// </summary>
    public Task Restored => Volatile.Read(ref _pendingRestore);

    private EngineSnapshot NewSnapshot(long index, long term) =>
        new(index, term, _store, _snapshotDirectory, _alarms.List, _member.MembersRecord, OnSnapshotResent, RestoredAsync, _member.Followers);

    /// <summary>Reads the payload's header (see <see cref="EngineSnapshot"/>); leaves the file at the engine export.</summary>
    private static (List<AlarmMember> Alarms, ClusterMembers Members) ReadPayloadHeader(FileStream file)
    {
        file.Position = 0;
        var head = new byte[EngineSnapshot.PayloadMagic.Length + 4];
        file.ReadExactly(head);
        if (!head.AsSpan(0, EngineSnapshot.PayloadMagic.Length).SequenceEqual(EngineSnapshot.PayloadMagic))
        {
            throw new InvalidDataException("not a kvstore raft snapshot (or one from an older version)");
        }
        int count = BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(EngineSnapshot.PayloadMagic.Length));
        if (count < 0 || count > 1 << 16) throw new InvalidDataException("damaged alarm list in a raft snapshot");
        var alarms = new byte[4 + count * 12];
        head.AsSpan(EngineSnapshot.PayloadMagic.Length).CopyTo(alarms);
        file.ReadExactly(alarms, 4, count * 12);
        Span<byte> length = stackalloc byte[4];
        file.ReadExactly(length);
        int recordLength = BinaryPrimitives.ReadInt32LittleEndian(length);
        if (recordLength < 0 || recordLength > 1 << 24) throw new InvalidDataException("damaged member record in a raft snapshot");
        var record = new byte[recordLength];
        file.ReadExactly(record);
        return (SnapshotFile.DecodeAlarms(alarms, out _), ClusterMembers.Parser.ParseFrom(record));
    }

    /// <summary>Waits for a snapshot in flight (before the engine is closed).</summary>
    public Task DrainAsync() => Task.WhenAll(_snapshotTask, _pendingRestore);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning,
            Message = "not installing raft snapshot at index {Index}: {Free} bytes free under the data dir, {Needed} needed; "
                + "the leader sends it again")]
        public static partial void InstallRefused(ILogger logger, long index, long free, long needed);

        [LoggerMessage(Level = LogLevel.Information, Message = "raft snapshot at index {Index} (term {Term}); engine at raft index {EngineIndex}")]
        public static partial void SnapshotLoaded(ILogger logger, long index, long term, long engineIndex);

        [LoggerMessage(Level = LogLevel.Information, Message = "took raft snapshot at index {Index} (term {Term})")]
        public static partial void SnapshotTaken(ILogger logger, long index, long term);

        [LoggerMessage(Level = LogLevel.Error, Message = "raft snapshot at index {Index} failed; the log keeps its entries")]
        public static partial void SnapshotFailed(ILogger logger, long index, Exception e);

        [LoggerMessage(Level = LogLevel.Debug, Message = "raft log compacted up to index {Index}")]
        public static partial void LogCompacted(ILogger logger, long index);

        [LoggerMessage(Level = LogLevel.Information, Message = "installing raft snapshot at index {Index} (term {Term}) from the leader")]
        public static partial void InstallingSnapshot(ILogger logger, long index, long term);

        [LoggerMessage(Level = LogLevel.Critical, Message = "restoring the installed raft snapshot {Path} failed; stopping (the next start retries)")]
        public static partial void RestoreFailed(ILogger logger, string path, Exception e);

        [LoggerMessage(Level = LogLevel.Information,
            Message = "installed raft snapshot at index {Index}: revision {Revision}, consistent index {ConsistentIndex}")]
        public static partial void SnapshotInstalled(ILogger logger, long index, long revision, long consistentIndex);
    }
}
