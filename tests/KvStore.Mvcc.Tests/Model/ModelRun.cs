using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc.Watch;
using KvStore.Server.Apply;

namespace KvStore.Mvcc.Tests.Model;

/// <summary>
/// One seeded run: random ops applied to the engine and to the reference model, every response compared,
/// watch streams read eagerly (after every op) and lazily (small queues read rarely, one stream only every
/// ~1,000 ops), half the writes applied as log commands with an index, and the engine closed and reopened a
/// few times (recovery from its checkpoint), among them right after ops that write no key-value record.
/// </summary>
internal sealed class ModelRun : IDisposable
{
    private const int MaxTxnOps = 12; // nested txns get what their parent leaves (etcd: maxTxnOps - opc)
    private const long MinLeaseTtl = 2;

    private readonly int _seed;
    private readonly int _ops;
    private readonly Random _rng;
    private readonly TempDir _dir = new();
    private readonly bool _smallThresholds;
    private MvccOptions _options;
    private readonly ReferenceModel _model = new(MaxTxnOps, MinLeaseTtl);
    private readonly RequestGenerator _gen;
    private readonly WatchChecker _watch;
    private MvccStore _store;
    private WatchChecker.StreamState? _sleepy;
    private long _logIndex;
    private int _opNo;
    private string _op = "";

    /// <param name="tinyMemory">A FASTER log of 32 KiB in memory: most records are read back from disk.</param>
    /// <param name="smallThresholds">Background checkpoints every 64 KiB and FASTER log compaction from 256 KiB on.</param>
    public ModelRun(int seed, int ops, bool tinyMemory, bool smallThresholds)
    {
        _seed = seed;
        _ops = ops;
        _rng = new Random(seed);
        _gen = new RequestGenerator(_rng, _model, MaxTxnOps);
        _watch = new WatchChecker(_model, () => Context);
        _smallThresholds = smallThresholds;
        _options = Options(_dir.Path, tinyMemory);
        _store = MvccStore.Open(_options);
    }

    private MvccOptions Options(string dir, bool tinyMemory) => new()
    {
        Directory = dir,
        MaxTxnOps = MaxTxnOps,
        MinLeaseTtl = MinLeaseTtl,
        CheckpointBytes = _smallThresholds ? 64 << 10 : 64L << 20,
        LogCompactionMinBytes = _smallThresholds ? 256 << 10 : 64L << 20,
        Storage = tinyMemory
            ? new KvStore.Storage.StorageOptions
            {
                Directory = Path.Combine(dir, "engine"), MemorySizeBits = 15, PageSizeBits = 12, SegmentSizeBits = 20, IndexBuckets = 1 << 10,
            }
            : null,
    };

    public Dictionary<string, int> Counts { get; } = [];

    private string Context => $"seed {_seed}, op #{_opNo}: {_op}";

    /// <summary>No compaction in [26%, 48%) of the run: sleepy watchers then fall far behind and catch up in chunks.</summary>
    private bool CompactionAllowed => _opNo < _ops * 26 / 100 || _opNo >= _ops * 48 / 100;

    public void Run()
    {
        var reopenAt = new HashSet<int> { _ops / 4, _ops * 3 / 4 };
        Step("bulk load", BulkLoad);
        for (_opNo = 0; _opNo < _ops; _opNo++)
        {
            // Reopens right after ops that write no key-value record: a clean close must keep them too.
            if (_opNo == _ops / 2) { Step("compact+reopen", () => { Reopen(); DoCompact(_model.CurrentRev - 1); Reopen(); }); continue; }
            if (_opNo == _ops * 3 / 5) { Step("lease+reopen", () => { Reopen(); DoLeaseGrant(LeaseFreeId(), 30); Reopen(); }); continue; }
            if (_opNo == _ops * 7 / 10)
            {
                Step("revoke+reopen", () => { Reopen(); DoLeaseRevoke(_model.LeaseIds.FirstOrDefault(1)); Reopen(); });
                continue;
            }
            if (reopenAt.Contains(_opNo)) { Step("reopen", Reopen); continue; }
            if (_opNo == _ops * 85 / 100) { Step("export+import", ExportImport); continue; }
            if (_opNo == _ops * 26 / 100) { Step("sleepy watchers", SleepyWatchers); continue; }
            if (_opNo == _ops * 48 / 100 && _sleepy is not null) { Step("sleepy read", () => _watch.Read(_sleepy)); continue; }
            if (_opNo == _ops * 2 / 5) { Step("lagging watcher over a compaction", LaggingWatcherOverCompaction); continue; }
            RandomOp();
            foreach (WatchChecker.StreamState s in _watch.Streams.Where(s => s.Eager)) _watch.Read(s);
            if (_rng.NextDouble() < 0.015) ReadLazily();
            if (_sleepy is not null && _rng.NextDouble() < 0.001) { _op = "sleepy read"; _watch.Read(_sleepy); }
        }
        _op = "final drain";
        _watch.DrainAndCheckComplete();
        CheckFullState();
        Counts["events"] = _watch.EventsChecked;
        Counts["compact notices"] = _watch.CompactNotices;
        Counts["watchers"] = _watch.WatchersCreated;
        foreach ((string k, int v) in _watch.Counts) Counts[k] = v;
    }

    private void Step(string name, Action action)
    {
        _op = name;
        Counts[name] = Counts.GetValueOrDefault(name) + 1;
        action();
        Assert.True(_store.CurrentRevision == _model.CurrentRev, $"{Context}\ncurrent revision {_store.CurrentRevision}, model {_model.CurrentRev}");
        Assert.True(_store.CompactRevision == _model.CompactRev, $"{Context}\ncompact revision {_store.CompactRevision}, model {_model.CompactRev}");
    }

    private void RandomOp()
    {
        double r = _rng.NextDouble();
        if (r < 0.22)
        {
            PutRequest p = _gen.Put();
            Step("put", () => Write(p, _model.Put(p), () => KvApplier.Put(_store, p), new InternalRaftRequest { Put = p }));
        }
        else if (r < 0.32)
        {
            DeleteRangeRequest d = _gen.Delete();
            Step("delete", () => Write(d, _model.DeleteRange(d), () => KvApplier.DeleteRange(_store, d), new InternalRaftRequest { DeleteRange = d }));
        }
        else if (r < 0.55) { RangeRequest q = _gen.Range(); Step("range", () => Same(q, _model.Range(q), _store.Range(q))); }
        else if (r < 0.87)
        {
            TxnRequest t = _gen.Txn();
            Step("txn", () => Write(t, _model.Txn(t), () => TxnApplier.Txn(_store, t), new InternalRaftRequest { Txn = t }));
        }
        else if (r < 0.875) Step("replay", Replay);
        else if (r < 0.895)
        {
            long rev = _gen.CompactRevision();
            if (CompactionAllowed) Step("compact", () => DoCompact(rev));
        }
        else if (r < 0.91) { long id = _gen.LeaseId(), ttl = _gen.LeaseTtl(); Step("lease grant", () => DoLeaseGrant(id, ttl)); }
        else if (r < 0.925) { long id = _gen.LeaseId(); Step("lease revoke", () => DoLeaseRevoke(id)); }
        else if (r < 0.935) { long id = _gen.LeaseId(); Step("lease ttl", () => DoLeaseTtl(id)); }
        else if (r < 0.94) Step("lease list", () => Same(null, _model.LeaseLeases(), _store.Lessor.Leases()));
        else if (r < 0.97) Step("watch", NewWatcher);
        else if (r < 0.975) Step("cancel", CancelWatcher);
        else { RangeRequest q = _gen.Range(); Step("range", () => Same(q, _model.Range(q), _store.Range(q))); }
    }

    /// <summary>
    /// A write applied directly or, half the time, as a log command at the next index through the engine's
    /// apply dispatch: as in etcd, every command moves the consistent index to its index, failed ones too.
    /// </summary>
    private void Write<T>(IMessage? request, MvccResult<T> expected, Func<MvccResult<T>> direct, InternalRaftRequest command)
        where T : class, IMessage
    {
        if (_rng.NextDouble() < 0.5)
        {
            Same(request, expected, direct());
            return;
        }
        long index = ++_logIndex;
        ApplyResult applied = _store.Apply(index, command);
        Same(request, expected, new MvccResult<T>(applied.Response as T, applied.Error));
        Assert.True(_store.ConsistentIndex == index, $"{Context}\nconsistent index {_store.ConsistentIndex} after applying index {index} ({applied.Error})");
    }

    /// <summary>A command at or below the consistent index (a log replay after a crash) changes nothing.</summary>
    private void Replay()
    {
        if (_logIndex == 0) return;
        long index = 1 + (long)(_rng.NextDouble() * _logIndex);
        _op = $"replay of index {index}";
        ApplyResult applied = _store.Apply(index, new InternalRaftRequest { Put = _gen.Put() });
        Assert.True(applied.Error == MvccError.AlreadyApplied, $"{Context}\nreplay answered {applied.Error}");
        Assert.True(_store.ConsistentIndex == _logIndex, $"{Context}\nconsistent index {_store.ConsistentIndex} moved on a replay");
    }

    private void Same<T>(IMessage? request, MvccResult<T> expected, MvccResult<T> actual) where T : class, IMessage
    {
        if (!expected.Ok) Counts[$"error {expected.Error}"] = Counts.GetValueOrDefault($"error {expected.Error}") + 1;
        if (expected.Error == actual.Error && Equals(expected.Response, actual.Response)) return;
        Assert.Fail($"{Context}\nrequest:  {Format.Json(request)}\nexpected: {Show(expected)}\nactual:   {Show(actual)}");
    }

    private void Same<T>(IMessage? request, T expected, T actual) where T : class, IMessage =>
        Same(request, new MvccResult<T>(expected, MvccError.None), new MvccResult<T>(actual, MvccError.None));

    private static string Show<T>(MvccResult<T> r) where T : class, IMessage =>
        r.Ok ? Format.Json(r.Response) : $"error {r.Error}";

    private void DoCompact(long rev)
    {
        _op = $"compact {rev}";
        MvccResult<CompactionResponse> expected = _model.Compact(rev);
        Write(null, expected, () => _store.Compact(rev), new InternalRaftRequest { Compaction = new CompactionRequest { Revision = rev } });
        if (expected.Ok) _watch.OnCompacted(rev);
    }

    private long LeaseFreeId() =>
        Enumerable.Range(1, RequestGenerator.LeaseIds).Select(i => (long)i).FirstOrDefault(i => !_model.LeaseIds.Contains(i), 1);

    private void DoLeaseGrant(long id, long ttl)
    {
        _op = $"lease grant {id} ttl {ttl}";
        var req = new LeaseGrantRequest { ID = id, TTL = ttl };
        Write(req, _model.LeaseGrant(id, ttl), () => _store.LeaseGrant(req), new InternalRaftRequest { LeaseGrant = req });
    }

    private void DoLeaseRevoke(long id)
    {
        _op = $"lease revoke {id}";
        Write(null, _model.LeaseRevoke(id), () => _store.LeaseRevoke(id), new InternalRaftRequest { LeaseRevoke = new LeaseRevokeRequest { ID = id } });
    }

    private void DoLeaseTtl(long id)
    {
        _op = $"lease ttl {id}";
        var req = new LeaseTimeToLiveRequest { ID = id, Keys = true };
        Same(req, _model.LeaseTimeToLive(id), _store.Lessor.TimeToLive(req, nowMs: 0));
    }

    // ---------------------------------------------------------------- watch

    private WatchChecker.StreamState Stream(bool eager)
    {
        List<WatchChecker.StreamState> streams = _watch.Streams.Where(s => s.Eager == eager && s != _sleepy).ToList();
        if (streams.Count < 2)
        {
            // Eager streams hold every response of a revision; lazy ones fill up after a few.
            var s = new WatchChecker.StreamState(_store.NewWatchStream(eager ? 128 : _rng.Next(1, 5)), eager);
            _watch.Streams.Add(s);
            return s;
        }
        if (!eager && _rng.NextDouble() < 0.25)
        {
            if (_sleepy is null) _watch.Streams.Add(_sleepy = new WatchChecker.StreamState(_store.NewWatchStream(2), eager: false));
            return _sleepy;
        }
        return streams[_rng.Next(streams.Count)];
    }

    /// <summary>Every wide key once, in random order, with short values: a multi-level index from the start.</summary>
    private void BulkLoad()
    {
        foreach (byte[] key in RequestGenerator.WideKeys.OrderBy(_ => _rng.Next()))
        {
            var p = new PutRequest { Key = ByteString.CopyFrom(key), Value = ByteString.CopyFrom(key[2..]) };
            Same(p, _model.Put(p), KvApplier.Put(_store, p));
        }
    }

    /// <summary>
    /// At the start of the compaction-free phase: watchers of every key on a stream read once at its end, so
    /// they catch up thousands of events in chunks (one from the next revision, one from a past one).
    /// </summary>
    private void SleepyWatchers()
    {
        if (_sleepy is null) _watch.Streams.Add(_sleepy = new WatchChecker.StreamState(_store.NewWatchStream(2), eager: false));
        foreach ((long start, WatchOptions options) in new[] { (0L, new WatchOptions(PrevKv: true)), (Math.Max(1, _model.CompactRev), new WatchOptions()) })
        {
            _op = $"sleepy watch of every key from {start} {options}";
            MvccResult<WatchCreated> created = _sleepy.Stream.Watch([], [0], start, options);
            Assert.True(created.Ok, $"{Context}\nwatch failed: {created.Error}");
            _watch.Add(_sleepy, created.Value.WatchId, [], [0], start, options, _op);
        }
    }

    /// <summary>
    /// A watcher (with prev_kv) whose one-response queue is full when revision R2 is written, then compaction at
    /// R2 before it is read: catching up from R2 it misses R2's deletion (compaction removed the tombstone) and
    /// the prev_kv of R2's update (below the compact revision), as in etcd.
    /// </summary>
    private void LaggingWatcherOverCompaction()
    {
        var s = new WatchChecker.StreamState(_store.NewWatchStream(1), eager: false);
        _watch.Streams.Add(s);
        _op = "lagging watcher of every key from the next revision";
        MvccResult<WatchCreated> created = s.Stream.Watch([], [0], 0, new WatchOptions(PrevKv: true));
        Assert.True(created.Ok, $"{Context}\nwatch failed: {created.Error}");
        _watch.Add(s, created.Value.WatchId, [], [0], 0, new WatchOptions(PrevKv: true), _op);

        static RequestOp Put(string k) => new() { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8(k), Value = ByteString.CopyFromUtf8(k) } };
        var r1 = new TxnRequest { Success = { Put("a"), Put("b") } };
        _op = "txn R1: put a, put b";
        Same(r1, _model.Txn(r1), TxnApplier.Txn(_store, r1));
        var r2 = new TxnRequest
        {
            Success = { Put("a"), new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = ByteString.CopyFromUtf8("b") } } },
        };
        _op = "txn R2: put a, delete b";
        Same(r2, _model.Txn(r2), TxnApplier.Txn(_store, r2));
        DoCompact(_model.CurrentRev);
        _op = "read of the lagging watcher";
        _watch.Read(s);
    }

    private void NewWatcher()
    {
        bool eager = _rng.NextDouble() < 0.6;
        WatchChecker.StreamState s = Stream(eager);
        if (s.Watchers.Count(w => w.Active) >= 6) { CancelOn(s); return; }

        double r = _rng.NextDouble();
        byte[] key = _gen.Key(), end;
        if (r < 0.45) end = [];
        else if (r < 0.7) { key = key[..1]; end = RequestGenerator.PrefixEnd(key); }
        else if (r < 0.8) end = [0];
        else if (r < 0.9) { key = []; end = [0]; }
        else end = _gen.Key(); // may be an empty range: an error

        long cur = _model.CurrentRev, compact = _model.CompactRev;
        double sr = _rng.NextDouble();
        long start = sr < 0.5 ? 0
            : sr < 0.55 && compact > 0 ? compact // catch-up from the compact revision itself
            : sr < 0.8 ? Math.Max(1, compact) + (long)(_rng.NextDouble() * (cur - Math.Max(1, compact) + 1)) // catch-up
            : sr < 0.92 && compact > 1 ? _rng.Next(1, (int)compact) // compacted
            : cur + _rng.Next(0, 3); // next or a future revision
        var options = new WatchOptions(PrevKv: _rng.NextDouble() < 0.4, NoPut: _rng.NextDouble() < 0.1, NoDelete: _rng.NextDouble() < 0.1);
        _op = $"watch [{Format.Bytes(key)}, {Format.Bytes(end)}) from {start} {options} on {(eager ? "eager" : "lazy")} stream";

        MvccResult<WatchCreated> created = s.Stream.Watch(key, end, start, options);
        bool emptyRange = end.Length > 0 && !(end.Length == 1 && end[0] == 0) && key.AsSpan().SequenceCompareTo(end) >= 0;
        if (emptyRange)
        {
            Assert.True(created.Error == MvccError.EmptyWatcherRange, $"{Context}\nexpected EmptyWatcherRange, got {created.Error}");
            return;
        }
        Assert.True(created.Ok, $"{Context}\nwatch failed: {created.Error}");
        Assert.True(created.Value.Revision == cur, $"{Context}\nwatch created at {created.Value.Revision}, current {cur}");
        _watch.Add(s, created.Value.WatchId, key, end, start, options, _op);
        if (eager) _watch.Read(s);
    }

    private void CancelWatcher()
    {
        List<WatchChecker.StreamState> streams = _watch.Streams.Where(s => s.Watchers.Any(w => w.Active)).ToList();
        if (streams.Count > 0) CancelOn(streams[_rng.Next(streams.Count)]);
    }

    private void CancelOn(WatchChecker.StreamState s)
    {
        List<WatchChecker.WatcherState> live = s.Watchers.Where(w => w.Active).ToList();
        if (live.Count == 0) return;
        WatchChecker.WatcherState w = live[_rng.Next(live.Count)];
        _op = $"cancel watcher {w.Id}";
        Assert.True(s.Stream.Cancel(w.Id), $"{Context}\ncancel of a live watcher failed");
        w.Cancelled = true;
    }

    private void ReadLazily()
    {
        List<WatchChecker.StreamState> lazy = _watch.Streams.Where(s => !s.Eager && s != _sleepy).ToList();
        if (lazy.Count == 0) return;
        WatchChecker.StreamState s = lazy[_rng.Next(lazy.Count)];
        _op = "lazy read";
        _watch.Read(s, _rng.NextDouble() < 0.3 ? int.MaxValue : _rng.Next(1, 6));
    }

    // ---------------------------------------------------------------- recovery

    /// <summary>Closes the engine (a clean close checkpoints) and opens it again: nothing may change.</summary>
    private void Reopen()
    {
        _watch.DrainAndCheckComplete();
        uint hash = _store.HashKV(0).Value.Hash;
        Counts["log KiB at reopen, max"] = Math.Max(Counts.GetValueOrDefault("log KiB at reopen, max"), (int)(_store.StorageSizeBytes >> 10));
        _store.Dispose();
        _watch.Streams.Clear(); // closing the store closed its streams; new ones start after the reopen
        _sleepy = null;
        _store = MvccStore.Open(_options);
        _op += " (after reopen)";
        Assert.True(_store.CurrentRevision == _model.CurrentRev, $"{Context}\ncurrent revision {_store.CurrentRevision} after reopen, model {_model.CurrentRev}");
        Assert.True(_store.CompactRevision == _model.CompactRev, $"{Context}\ncompact revision {_store.CompactRevision} after reopen, model {_model.CompactRev}");
        Assert.True(_store.HashKV(0).Value.Hash == hash, $"{Context}\nHashKV changed across reopen");
        Assert.True(_store.ConsistentIndex == _logIndex, $"{Context}\nconsistent index {_store.ConsistentIndex} after reopen, applied {_logIndex}");
        CheckFullState();
    }

    /// <summary>Moves on with a store imported from a snapshot of this one: nothing may change, the rest of the run goes to it.</summary>
    private void ExportImport()
    {
        _watch.DrainAndCheckComplete();
        uint hash = _store.HashKV(0).Value.Hash;
        var snapshot = new MemoryStream();
        _store.Export(snapshot);
        _store.Dispose();
        _watch.Streams.Clear();
        _sleepy = null;
        snapshot.Position = 0;
        _options = Options(Path.Combine(_dir.Path, "imported"), _options.Storage is not null);
        _store = MvccStore.Import(snapshot, _options);
        Assert.True(_store.CurrentRevision == _model.CurrentRev, $"{Context}\ncurrent revision {_store.CurrentRevision} after import, model {_model.CurrentRev}");
        Assert.True(_store.CompactRevision == _model.CompactRev, $"{Context}\ncompact revision {_store.CompactRevision} after import, model {_model.CompactRev}");
        Assert.True(_store.HashKV(0).Value.Hash == hash, $"{Context}\nHashKV changed by export and import");
        Assert.True(_store.ConsistentIndex == _logIndex, $"{Context}\nconsistent index {_store.ConsistentIndex} after import, applied {_logIndex}");
        CheckFullState();
    }

    /// <summary>Every key at the current revision, at the compact revision and at a few revisions between, and every lease.</summary>
    private void CheckFullState()
    {
        var revs = new List<long> { 0, _model.CompactRev };
        for (int i = 0; i < 4; i++) revs.Add(Math.Max(1, _model.CompactRev) + (long)(_rng.NextDouble() * (_model.CurrentRev - Math.Max(1, _model.CompactRev) + 1)));
        foreach (long rev in revs.Where(r => r >= 0))
        {
            var q = new RangeRequest { Key = ByteString.CopyFrom([0]), RangeEnd = ByteString.CopyFrom([0]), Revision = rev };
            Same(q, _model.Range(q), _store.Range(q));
        }
        Same(null, _model.LeaseLeases(), _store.Lessor.Leases());
        foreach (long id in _model.LeaseIds) DoLeaseTtl(id);
    }

    public void Dispose()
    {
        _store.Dispose();
        _dir.Dispose();
    }
}
