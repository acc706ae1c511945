using System.Text;
using KvStore.TestSupport;

namespace KvStore.Storage.Tests;

/// <summary>
/// RecordStore, the backend under the MVCC store (etcd's storage/backend role): records keyed by revision,
/// checkpoints carrying the applied index (etcd's consistent index saved with the data), and log compaction
/// that gives disk space back after MVCC compaction deletes history (etcd's defrag).
/// </summary>
public sealed class RecordStoreTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private StorageOptions Options(int memoryBits = 20, int pageBits = 14, int segmentBits = 16) => new()
    {
        Directory = _dir.Path,
        IndexBuckets = 1 << 10,
        MemorySizeBits = memoryBits,
        PageSizeBits = pageBits,
        SegmentSizeBits = segmentBits,
    };

    private static byte[] Value(long main, long sub, int size = 32)
    {
        var v = new byte[size];
        byte[] tag = Encoding.ASCII.GetBytes($"{main}_{sub}:");
        for (int i = 0; i < size; i++) v[i] = tag[i % tag.Length];
        return v;
    }

    /// <summary>Every live record with a copy of its value, in no particular order.</summary>
    private static List<(Revision Key, byte[] Value)> LiveRecords(RecordStore store)
    {
        var records = new List<(Revision, byte[])>();
        store.ForEachLive((key, value) => records.Add((key, value.ToArray())));
        return records;
    }

    /// <summary>
    /// Writes <paramref name="count"/> records of 200 bytes at revisions 2.. and deletes all but one in
    /// <paramref name="keepOneIn"/> (the first of each run), as an MVCC compaction would, then checkpoints at index 1.
    /// </summary>
    private static async Task WriteThenDeleteMostAsync(RecordStore store, int count, int keepOneIn)
    {
        for (int i = 0; i < count; i++) store.Upsert(new Revision(i + 2, 0), Value(i + 2, 0, size: 200));
        for (int i = 0; i < count; i++)
        {
            if (i % keepOneIn != 0) store.Delete(new Revision(i + 2, 0));
        }
        await CheckpointAsync(store, appliedIndex: 1);
    }

    private static async Task CheckpointAsync(RecordStore store, long appliedIndex)
    {
        Task? task;
        while ((task = store.BeginCheckpoint(appliedIndex)) is null) await store.WaitForCheckpointAsync();
        await task;
    }

    /// <summary>Bytes of log segment files on disk (a segment may be deleted in the background meanwhile).</summary>
    private long LogFileBytes() =>
        new DirectoryInfo(Path.Combine(_dir.Path, "log")).EnumerateFiles().Sum(f =>
        {
            try { return f.Length; } catch (FileNotFoundException) { return 0; }
        });

    /// <summary>
    /// A crash between a checkpoint's index commit and its log commit, right after an earlier checkpoint with nothing
    /// written between the two (the crash child's explicit checkpoint after an automatic one): on disk are the earlier
    /// checkpoint's log metadata and the newer one's index, whose final address equals the earlier log's. FASTER's own
    /// Recover() paired them and never undid the record written while the earlier checkpoint was taken, so a command
    /// after its applied index survived (CrashRecoveryTests failed about once in 30 runs under I/O load with one or
    /// two revisions too many). The record must be gone: the earlier checkpoint is recovered with its own index.
    /// </summary>
    [Fact]
    public async Task RecoveryPairsTheLogCheckpointWithItsOwnIndexAfterACrashBetweenTheNextOnesCommits()
    {
        // A large hash index, so that the index checkpoint (written before the log's fold-over) takes long enough
        // for the record written right after the version shift to land in the checkpoint's fuzzy region.
        StorageOptions options = Options() with { IndexBuckets = 1 << 20 };
        string checkpoints = Path.Combine(_dir.Path, "checkpoints");
        string saved = Path.Combine(_dir.Path, "saved");
        using (var store = RecordStore.Open(options))
        {
            for (long i = 2; i < 100; i++) store.Upsert(new Revision(i, 0), Value(i, 0));
            await CheckpointAsync(store, appliedIndex: 1);

            Task? first = store.BeginCheckpoint(2); // applied index 2: revision 100 below is the command after it
            Assert.NotNull(first);
            store.Upsert(new Revision(100, 0), Value(100, 0));
            await first;
            Directories.Copy(Path.Combine(checkpoints, "cpr-checkpoints"), Path.Combine(saved, "cpr-checkpoints"));

            await CheckpointAsync(store, appliedIndex: 3); // nothing written since the first
        }

        // The crash state: the newer checkpoint's index committed, its log metadata not (the first's still there).
        Directory.Delete(Path.Combine(checkpoints, "cpr-checkpoints"), recursive: true);
        Directories.Copy(Path.Combine(saved, "cpr-checkpoints"), Path.Combine(checkpoints, "cpr-checkpoints"));
        Directory.Delete(saved, recursive: true);

        using var reopened = RecordStore.Open(options);
        Assert.Equal(2, reopened.RecoveredIndex);
        Assert.Equal(Value(99, 0), reopened.Read(new Revision(99, 0)));
        Assert.Null(reopened.Read(new Revision(100, 0)));
        Assert.DoesNotContain(LiveRecords(reopened), r => r.Key.Main == 100);
        Assert.Equal(98, LiveRecords(reopened).Count);
    }

    [Fact]
    public async Task CloseGivesUpACheckpointThatCannotBeWritten()
    {
        var store = RecordStore.Open(Options() with { CloseTimeout = TimeSpan.FromSeconds(2) });
        for (long i = 2; i < 200; i++) store.Upsert(new Revision(i, 0), Value(i, 0));
        Directory.Delete(_dir.Path, recursive: true); // the data dir removed under a running member
        Task? checkpoint = store.BeginCheckpoint(7);
        await Task.Run(store.Dispose).WaitAsync(TimeSpan.FromSeconds(60)); // TimeoutException: Dispose hung
        Assert.False(checkpoint?.IsCompletedSuccessfully ?? false, "no checkpoint could be written");
    }

    [Fact]
    public async Task CheckpointFailsWhenTheDiskIsFull()
    {
        using var disk = SmallDisk.Mount(16);
        StorageOptions options = Options() with { Directory = Path.Combine(disk.Path, "engine") };
        var store = RecordStore.Open(options);
        for (long i = 2; i < 100; i++) store.Upsert(new Revision(i, 0), Value(i, 0));
        await CheckpointAsync(store, 1);
        for (long i = 100; i < 500; i++) store.Upsert(new Revision(i, 0), Value(i, 0, size: 1024)); // in memory only
        disk.Fill();

        Task? checkpoint = store.BeginCheckpoint(2);
        Assert.NotNull(checkpoint);
        // TimeoutException: the checkpoint waits for ever for the log pages that could not be written
        var e = await Assert.ThrowsAsync<IOException>(() => checkpoint.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("no space left on device", e.Message);
        Assert.Same(e, await store.WriteFailed);
        await Assert.ThrowsAsync<IOException>(() => store.BeginCheckpoint(3) ?? Task.CompletedTask);
        await Task.Run(store.Dispose).WaitAsync(TimeSpan.FromSeconds(60)); // abandoned, not waited for

        disk.Free();
        using var reopened = RecordStore.Open(options);
        Assert.Equal(1, reopened.RecoveredIndex); // the last durable checkpoint, kept
        Assert.Equal(Value(50, 0), reopened.Read(new Revision(50, 0)));
        Assert.Null(reopened.Read(new Revision(200, 0)));
    }

    [Fact]
    public void UpsertThenReadReturnsTheBytesAndDeleteRemovesThem()
    {
        using var store = RecordStore.Open(Options());
        var rev = new Revision(2, 0);
        store.Upsert(rev, Value(2, 0));
        Assert.Equal(Value(2, 0), store.Read(rev));

        store.Upsert(rev, Value(2, 0, size: 100)); // replace with a longer record
        Assert.Equal(Value(2, 0, size: 100), store.Read(rev));

        store.Delete(rev);
        Assert.Null(store.Read(rev));
        Assert.Empty(LiveRecords(store));
    }

    [Fact]
    public void ReadOfAMissingKeyIsNull()
    {
        using var store = RecordStore.Open(Options());
        Assert.Null(store.Read(new Revision(5, 0)));
        store.Upsert(new Revision(5, 1), Value(5, 1));
        Assert.Null(store.Read(new Revision(5, 0))); // same main revision, other sub revision
        Assert.Null(store.Read(new Revision(-1, 5))); // lease space is a different key
        Assert.False(store.Recovered);
        Assert.Equal(0, store.RecoveredIndex);
    }

    [Fact]
    public void EmptyRecordIsStoredAndDistinctFromMissing()
    {
        using var store = RecordStore.Open(Options());
        store.Upsert(new Revision(3, 0), ReadOnlySpan<byte>.Empty);
        Assert.Equal(Array.Empty<byte>(), store.Read(new Revision(3, 0)));
    }

    [Fact]
    public void RecordsLargerThanMemorySpillToDiskAndAreReadBack()
    {
        // 16 KB of log memory in 4 KB pages; 1.2 MB of records: almost all are read back from disk.
        using var store = RecordStore.Open(Options(memoryBits: 14, pageBits: 12, segmentBits: 18));
        const int count = 3000;
        for (int i = 0; i < count; i++) store.Upsert(new Revision(i + 2, i % 3), Value(i + 2, i % 3, size: 400));
        Assert.True(store.LogSizeBytes > 50 * (1 << 14), $"log is {store.LogSizeBytes} bytes");
        Assert.True(LogFileBytes() > (1 << 20), "records were not written to the log files");

        for (int i = 0; i < count; i += 11) Assert.Equal(Value(i + 2, i % 3, size: 400), store.Read(new Revision(i + 2, i % 3)));
        Assert.Null(store.Read(new Revision(2, 1)));

        // Reads from any thread, concurrently (the engine's readers do this). Dedicated threads, not the thread
        // pool: a read that goes to disk blocks its thread until an I/O completion that itself runs on the pool.
        int wrong = 0;
        var threads = Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            for (int j = t; j < 100; j += 2)
            {
                int i = (j * 29) % count;
                byte[]? read = store.Read(new Revision(i + 2, i % 3));
                if (read is null || !read.AsSpan().SequenceEqual(Value(i + 2, i % 3, size: 400))) Interlocked.Increment(ref wrong);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(0, wrong);
        Assert.Equal(count, LiveRecords(store).Count);
    }

    [Fact]
    public async Task CheckpointThenReopenRecoversRecordsAndTheAppliedIndex()
    {
        using (var store = RecordStore.Open(Options()))
        {
            for (int i = 0; i < 500; i++) store.Upsert(new Revision(i + 2, 0), Value(i + 2, 0));
            store.Upsert(new Revision(-1, 7), Value(-1, 7)); // a lease record
            store.Delete(new Revision(10, 0));
            await CheckpointAsync(store, appliedIndex: 41);
            store.Upsert(new Revision(600, 0), Value(600, 0));
            await CheckpointAsync(store, appliedIndex: 42); // the latest checkpoint wins
        }

        using var reopened = RecordStore.Open(Options());
        Assert.True(reopened.Recovered);
        Assert.Equal(42, reopened.RecoveredIndex);
        Assert.Equal(Value(2, 0), reopened.Read(new Revision(2, 0)));
        Assert.Equal(Value(501, 0), reopened.Read(new Revision(501, 0)));
        Assert.Equal(Value(600, 0), reopened.Read(new Revision(600, 0)));
        Assert.Equal(Value(-1, 7), reopened.Read(new Revision(-1, 7)));
        Assert.Null(reopened.Read(new Revision(10, 0)));

        var live = LiveRecords(reopened).ToDictionary(r => r.Key, r => r.Value);
        Assert.Equal(500 - 1 + 1 + 1, live.Count);
        Assert.Equal(Value(300, 0), live[new Revision(300, 0)]);
    }

    [Fact]
    public async Task WritesAfterTheLastCheckpointAreGoneAfterReopenSoTheCallerReplaysItsLog()
    {
        using (var store = RecordStore.Open(Options()))
        {
            store.Upsert(new Revision(2, 0), Value(2, 0));
            store.Upsert(new Revision(3, 0), Value(3, 0));
            await CheckpointAsync(store, appliedIndex: 7);

            // After the checkpoint: a new record, a replaced one, a deleted one. Dispose does not checkpoint.
            store.Upsert(new Revision(4, 0), Value(4, 0));
            store.Upsert(new Revision(2, 0), Value(2, 0, size: 80));
            store.Delete(new Revision(3, 0));
        }

        using var reopened = RecordStore.Open(Options());
        Assert.Equal(7, reopened.RecoveredIndex);
        Assert.Equal(Value(2, 0), reopened.Read(new Revision(2, 0)));
        Assert.Equal(Value(3, 0), reopened.Read(new Revision(3, 0)));
        Assert.Null(reopened.Read(new Revision(4, 0)));
        Assert.Equal(2, LiveRecords(reopened).Count);
    }

    [Fact]
    public void StoreWithoutACheckpointReopensEmpty()
    {
        using (var store = RecordStore.Open(Options()))
        {
            store.Upsert(new Revision(2, 0), Value(2, 0));
        }
        using var reopened = RecordStore.Open(Options());
        Assert.False(reopened.Recovered);
        Assert.Equal(0, reopened.RecoveredIndex);
        Assert.Null(reopened.Read(new Revision(2, 0)));
    }

    [Fact]
    public async Task WritesDuringABackgroundCheckpointBelongToTheNextOne()
    {
        // CPR: BeginCheckpoint fixes the version boundary before it returns; later writes are not in it.
        using (var store = RecordStore.Open(Options(memoryBits: 16, pageBits: 12, segmentBits: 16)))
        {
            for (int i = 0; i < 2000; i++) store.Upsert(new Revision(i + 2, 0), Value(i + 2, 0, size: 200));
            Task? first = store.BeginCheckpoint(2000);
            Assert.NotNull(first);
            for (int i = 2000; i < 2100; i++) store.Upsert(new Revision(i + 2, 0), Value(i + 2, 0, size: 200));
            await first;
        }

        using var reopened = RecordStore.Open(Options(memoryBits: 16, pageBits: 12, segmentBits: 16));
        Assert.Equal(2000, reopened.RecoveredIndex);
        Assert.Equal(Value(2001, 0, size: 200), reopened.Read(new Revision(2001, 0)));
        Assert.Null(reopened.Read(new Revision(2002, 0)));
        Assert.Equal(2000, LiveRecords(reopened).Count);
    }

    [Fact]
    public async Task CompactLogStepCoversAtMostItsBytesAndKeepsEveryLiveRecord()
    {
        StorageOptions options = Options(memoryBits: 16, pageBits: 12, segmentBits: 14);
        const int count = 4000;
        using var store = RecordStore.Open(options);
        await WriteThenDeleteMostAsync(store, count, keepOneIn: 20);
        long until = store.CompactableUntil;
        long sizeBefore = store.LogSizeBytes;
        const long step = 32 << 10;

        int steps = 0;
        while (store.CompactLogStep(until, step) is var released and > 0)
        {
            Assert.True(released <= step + 512, $"a step of at most {step} bytes released {released}"); // up to one record past it
            steps++;
            // Between steps every live record reads back, whether it was copied forward yet or not.
            for (int i = 0; i < count; i += 20 * 7) Assert.Equal(Value(i + 2, 0, size: 200), store.Read(new Revision(i + 2, 0)));
        }
        Assert.True(steps >= 16, $"about 1 MB of log took only {steps} steps of {step} bytes");
        Assert.Equal(0, store.CompactLogStep(until, step));
        await CheckpointAsync(store, appliedIndex: 2);
        Assert.True(store.LogSizeBytes < sizeBefore / 4, $"log size {sizeBefore} -> {store.LogSizeBytes}");
        Assert.Equal(count / 20, LiveRecords(store).Count);
        for (int i = 0; i < count; i += 20) Assert.Equal(Value(i + 2, 0, size: 200), store.Read(new Revision(i + 2, 0)));
        Assert.Null(store.Read(new Revision(3, 0)));
    }

    [Fact]
    public async Task LogCompactionStepsBesideReadersAndTheWriterLoseNoRecordAndRestoreNoDeletedOne()
    {
        // Records mostly on disk (64 KB of log in memory), so that reads go to disk while steps move records.
        StorageOptions options = Options(memoryBits: 16, pageBits: 12, segmentBits: 14);
        const int count = 6000;
        using var store = RecordStore.Open(options);
        await WriteThenDeleteMostAsync(store, count, keepOneIn: 4);
        long until = store.CompactableUntil;

        // Beside the steps: two readers of every live record (one by one and in batches), and the writer, which
        // deletes every other live record (some while their copy moves) and writes new ones.
        using var done = new CancellationTokenSource();
        var missed = new List<string>();
        Task Reader(bool many) => Task.Run(() =>
        {
            var keys = new Revision[25];
            var records = new byte[]?[25];
            for (int round = 0; !done.IsCancellationRequested; round++)
            {
                for (int i = 0; i < count; i += 4 * keys.Length)
                {
                    for (int k = 0; k < keys.Length; k++) keys[k] = new Revision(i + 4 * k + 2, 0);
                    if (many) store.ReadMany(keys, records);
                    else for (int k = 0; k < keys.Length; k++) records[k] = store.Read(keys[k]);
                    for (int k = 0; k < keys.Length; k++)
                    {
                        // a record the writer deleted is gone; one it never deletes must always read back
                        if (records[k] is null && (i + 4 * k) % 8 != 0) lock (missed) missed.Add($"{keys[k]} (round {round})");
                    }
                }
            }
        });
        Task[] readers = [Reader(many: false), Reader(many: true)];
        Task writer = Task.Run(() =>
        {
            for (int i = 0; i < count; i += 8)
            {
                store.Delete(new Revision(i + 2, 0));
                store.Upsert(new Revision(count + i + 2, 0), Value(count + i + 2, 0, size: 200));
                if (i % 400 == 0) Thread.Sleep(1);
            }
        });
        int steps = 0;
        while (store.CompactLogStep(until, 4 << 10) > 0) steps++;
        await writer;
        done.Cancel();
        await Task.WhenAll(readers);

        Assert.True(steps >= 64, $"only {steps} steps");
        Assert.Empty(missed);
        for (int i = 0; i < count; i += 4)
        {
            byte[]? expected = i % 8 == 0 ? null : Value(i + 2, 0, size: 200);
            Assert.Equal(expected, store.Read(new Revision(i + 2, 0)));
        }
        for (int i = 0; i < count; i += 8) Assert.Equal(Value(count + i + 2, 0, size: 200), store.Read(new Revision(count + i + 2, 0)));
        Assert.Equal(count / 8 + count / 8, LiveRecords(store).Count);
    }

    [Fact]
    public async Task CompactLogReclaimsTheSpaceOfDeletedRecords()
    {
        StorageOptions options = Options(memoryBits: 16, pageBits: 12, segmentBits: 14);
        const int count = 4000;
        long sizeBefore, filesBefore;
        using (var store = RecordStore.Open(options))
        {
            await WriteThenDeleteMostAsync(store, count, keepOneIn: 20);
            sizeBefore = store.LogSizeBytes;
            filesBefore = LogFileBytes();

            long released = store.CompactLogStep(store.CompactableUntil, long.MaxValue); // the whole read-only log at once
            Assert.True(released > 0, "nothing was compacted");
            await CheckpointAsync(store, appliedIndex: 2);
            Assert.True(store.LogSizeBytes < sizeBefore / 4, $"log size {sizeBefore} -> {store.LogSizeBytes}");
            for (int i = 0; i < count; i += 20) Assert.Equal(Value(i + 2, 0, size: 200), store.Read(new Revision(i + 2, 0)));
            Assert.Null(store.Read(new Revision(3, 0)));

            // The disk space comes back too: once a checkpoint starting at the new begin address is durable,
            // the log segments wholly below it are deleted (in the background).
            long filesAfter = LogFileBytes();
            for (int wait = 0; wait < 100 && filesAfter >= filesBefore / 2; wait++)
            {
                await Task.Delay(50);
                filesAfter = LogFileBytes();
            }
            Assert.True(filesAfter < filesBefore / 2, $"log files {filesBefore} -> {filesAfter} bytes");
        }

        using var reopened = RecordStore.Open(options);
        Assert.Equal(2, reopened.RecoveredIndex);
        Assert.Equal(count / 20, LiveRecords(reopened).Count);
        for (int i = 0; i < count; i += 20) Assert.Equal(Value(i + 2, 0, size: 200), reopened.Read(new Revision(i + 2, 0)));
        Assert.Null(reopened.Read(new Revision(3, 0)));
    }

    [Fact]
    public async Task OldCheckpointsAreRemoved()
    {
        using var store = RecordStore.Open(Options());
        for (int c = 1; c <= 20; c++)
        {
            for (int i = 0; i < 50; i++) store.Upsert(new Revision(c * 100 + i, 0), Value(c * 100 + i, 0));
            await CheckpointAsync(store, appliedIndex: c);
        }
        string checkpoints = Path.Combine(_dir.Path, "checkpoints");
        foreach (string kind in new[] { "cpr-checkpoints", "index-checkpoints" })
        {
            int n = Directory.GetDirectories(Path.Combine(checkpoints, kind)).Length;
            Assert.True(n <= 2, $"{n} {kind} kept after 20 checkpoints");
        }
    }

    /// <summary>
    /// What a crash leaves when it lands while a checkpoint commits: the index snapshot is written and FASTER
    /// has created the log checkpoint's metadata file (info.dat on device segment 0) but not written it yet.
    /// </summary>
    private void AddTornCheckpoint()
    {
        string token = Guid.NewGuid().ToString();
        string log = Path.Combine(_dir.Path, "checkpoints", "cpr-checkpoints", token);
        Directory.CreateDirectory(log);
        File.WriteAllBytes(Path.Combine(log, "info.dat.0"), []);
        string index = Path.Combine(_dir.Path, "checkpoints", "index-checkpoints", token);
        Directory.CreateDirectory(index);
        File.WriteAllBytes(Path.Combine(index, "ht.dat.0"), new byte[4096]);
    }

    [Fact]
    public async Task ACheckpointTornByACrashIsIgnoredAndThePreviousOneRecovered()
    {
        using (var store = RecordStore.Open(Options()))
        {
            store.Upsert(new Revision(2, 0), Value(2, 0));
            await CheckpointAsync(store, appliedIndex: 5);
            store.Upsert(new Revision(3, 0), Value(3, 0));
        }
        AddTornCheckpoint();

        using var reopened = RecordStore.Open(Options());
        Assert.Equal(5, reopened.RecoveredIndex);
        Assert.Equal(Value(2, 0), reopened.Read(new Revision(2, 0)));
        Assert.Null(reopened.Read(new Revision(3, 0)));
    }

    [Fact]
    public void AFirstCheckpointTornByACrashLeavesAnEmptyStoreThatOpens()
    {
        using (var store = RecordStore.Open(Options()))
        {
            store.Upsert(new Revision(2, 0), Value(2, 0));
        }
        AddTornCheckpoint();

        using var reopened = RecordStore.Open(Options());
        Assert.False(reopened.Recovered);
        Assert.Equal(0, reopened.RecoveredIndex);
        Assert.Null(reopened.Read(new Revision(2, 0)));
        reopened.Upsert(new Revision(2, 0), Value(2, 0, size: 50));
        Assert.Equal(Value(2, 0, size: 50), reopened.Read(new Revision(2, 0)));
    }
}
