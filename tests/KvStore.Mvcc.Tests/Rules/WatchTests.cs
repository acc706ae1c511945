using Etcdserverpb;
using KvStore.Mvcc.Watch;
using KvStore.Server.Apply;
using Mvccpb;
using static KvStore.Mvcc.Tests.Rules.RuleStore;
using Xunit.Abstractions;

namespace KvStore.Mvcc.Tests.Rules;

/// <summary>
/// etcd watch rules (mvcc/watchable_store.go, mvcc/watcher.go watchStream, api/v3rpc/watch.go filters and
/// prev_kv).
/// </summary>
public sealed class WatchTests : IDisposable
{
    private readonly RuleStore _s = new();

    public void Dispose() => _s.Dispose();

    private static List<WatchResponse> Drain(WatchStream ws)
    {
        var list = new List<WatchResponse>();
        while (ws.TryRead(out WatchResponse r)) list.Add(r);
        return list;
    }

    private static string Events(IEnumerable<WatchResponse> rs) =>
        string.Join(" ", rs.SelectMany(r => r.Events).Select(e =>
            $"{(e.Type == Event.Types.EventType.Put ? "PUT" : "DEL")}:{e.Kv.Key.ToStringUtf8()}@{e.Kv.ModRevision}"));

    private static long Id(MvccResult<WatchCreated> r) => r.Value.WatchId;

    [Fact]
    public void KeyWatcher_SeesOnlyItsKey()
    {
        // etcd watchableStore.notify: a key watcher gets events of its key only, one response per revision.
        using WatchStream ws = _s.Store.NewWatchStream();
        long id = Id(ws.Watch(B("a").Span, default, 0));
        _s.Put("a", "1"); // 2
        _s.Put("ab", "1"); // 3
        _s.Put("b", "1"); // 4
        _s.Delete("a"); // 5
        List<WatchResponse> rs = Drain(ws);
        Assert.Equal("PUT:a@2 DEL:a@5", Events(rs));
        Assert.All(rs, r => Assert.Equal(id, r.WatchId));
        Assert.Equal([2L, 5L], rs.Select(r => r.Header.Revision));
    }

    [Theory]
    [InlineData("a", "c", "PUT:a@2 PUT:ab@3 PUT:b@4")]
    [InlineData("a", "b", "PUT:a@2 PUT:ab@3")] // prefix "a"
    [InlineData("b", "\0", "PUT:b@4 PUT:c@5")] // every key >= b
    [InlineData("\0", "\0", "PUT:a@2 PUT:ab@3 PUT:b@4 PUT:c@5")]
    public void RangeWatcher_SeesKeysInItsRange(string key, string end, string expected)
    {
        // etcd watcher range [key, end), "\0" as end = every key >= key.
        using WatchStream ws = _s.Store.NewWatchStream();
        _ = ws.Watch(B(key).Span, B(end).Span, 0).Value;
        foreach (string k in new[] { "a", "ab", "b", "c" }) _s.Put(k, "1");
        Assert.Equal(expected, Events(Drain(ws)));
    }

    [Fact]
    public void StartRevision0_MeansTheNextRevision()
    {
        // etcd watchableStore.watch: startRev 0 -> synced watcher from currentRev + 1; created at the current rev.
        _s.Put("a", "old"); // 2
        using WatchStream ws = _s.Store.NewWatchStream();
        WatchCreated c = ws.Watch(B("a").Span, default, 0).Value;
        Assert.Equal(2, c.Revision);
        Assert.True(ws.AllSynced);
        Assert.Empty(Drain(ws));
        _s.Put("a", "new"); // 3
        Assert.Equal("PUT:a@3", Events(Drain(ws)));
    }

    [Fact]
    public void PastStartRevision_CatchesUpFromHistory_ThenFollowsLiveWrites()
    {
        // etcd: a watcher from a past revision is unsynced and is sent the history from that revision.
        _s.Put("a", "1"); // 2
        _s.Put("b", "1"); // 3
        _s.Put("a", "2"); // 4
        _s.Delete("a"); // 5
        using WatchStream ws = _s.Store.NewWatchStream();
        _ = ws.Watch(B("a").Span, default, 3).Value;
        Assert.Equal("PUT:a@4 DEL:a@5", Events(Drain(ws)));
        Assert.True(ws.AllSynced);
        _s.Put("a", "3"); // 6
        Assert.Equal("PUT:a@6", Events(Drain(ws)));
    }

    [Fact]
    public void FutureStartRevision_SkipsWritesBeforeIt()
    {
        // etcd: startRev > currentRev -> synced with minRev = startRev.
        using WatchStream ws = _s.Store.NewWatchStream();
        _ = ws.Watch(B("a").Span, default, 4).Value;
        _s.Put("a", "1"); // 2
        _s.Put("a", "2"); // 3
        _s.Put("a", "3"); // 4
        Assert.Equal("PUT:a@4", Events(Drain(ws)));
    }

    [Theory]
    [InlineData(false, false, "PUT:k@2 DEL:k@3 PUT:k@4")]
    [InlineData(true, false, "DEL:k@3")] // NoPut
    [InlineData(false, true, "PUT:k@2 PUT:k@4")] // NoDelete
    [InlineData(true, true, "")]
    public void Filters_NoPutAndNoDelete(bool noPut, bool noDelete, string expected)
    {
        // etcd v3rpc watch filters: FilterType NOPUT / NODELETE drop those events.
        using WatchStream live = _s.Store.NewWatchStream();
        _ = live.Watch(B("k").Span, default, 0, new WatchOptions(NoPut: noPut, NoDelete: noDelete)).Value;
        _s.Put("k", "1");
        _s.Delete("k");
        _s.Put("k", "2");
        Assert.Equal(expected, Events(Drain(live)));
        // the same from history
        using WatchStream past = _s.Store.NewWatchStream();
        _ = past.Watch(B("k").Span, default, 1, new WatchOptions(NoPut: noPut, NoDelete: noDelete)).Value;
        Assert.Equal(expected, Events(Drain(past)));
    }

    [Fact]
    public void PrevKv_CarriesTheKeyValueBeforeEachEvent()
    {
        // etcd v3rpc watch.go: prev_kv = the key at ModRevision - 1 (none for a create).
        using WatchStream ws = _s.Store.NewWatchStream();
        _ = ws.Watch(B("k").Span, default, 0, new WatchOptions(PrevKv: true)).Value;
        _s.Put("k", "1"); // 2
        _s.Put("k", "2"); // 3
        _s.Delete("k"); // 4
        List<Event> evs = Drain(ws).SelectMany(r => r.Events).ToList();
        Assert.Null(evs[0].PrevKv);
        Assert.Equal("k=1 c2 m2 v1 l0", Text(evs[1].PrevKv));
        Assert.Equal("k=2 c2 m3 v2 l0", Text(evs[2].PrevKv));

        using WatchStream past = _s.Store.NewWatchStream();
        _ = past.Watch(B("k").Span, default, 2, new WatchOptions(PrevKv: true)).Value;
        List<Event> hist = Drain(past).SelectMany(r => r.Events).ToList();
        Assert.Equal([null, "k=1 c2 m2 v1 l0", "k=2 c2 m3 v2 l0"], hist.Select(e => e.PrevKv is null ? null : Text(e.PrevKv)));
    }

    [Fact]
    public void RequestProgress_OnSyncedWatcher_IsAnEmptyResponseAtTheCurrentRevision()
    {
        // etcd watchableStore.progress: a synced watcher gets a response with no events and the current revision.
        _s.Put("x", "1");
        _s.Put("x", "2");
        using WatchStream ws = _s.Store.NewWatchStream();
        long id = Id(ws.Watch(B("a").Span, default, 0));
        Assert.True(ws.RequestProgress(id));
        Assert.True(ws.TryRead(out WatchResponse r));
        Assert.Equal(id, r.WatchId);
        Assert.Empty(r.Events);
        Assert.Equal(3, r.Header.Revision);
        Assert.False(ws.RequestProgress(id + 100)); // no such watcher
    }

    [Fact]
    public void RequestProgressAll_AnswersWithIdMinusOne_OnlyWhenEveryWatcherIsSynced()
    {
        // etcd 3.5 watchableStore.progressAll: one response with watch id -1 at the current revision when all
        // watchers of the stream are synced; nothing while one is catching up; nothing for a stream without watchers.
        _s.Put("x", "1"); // 2
        _s.Put("x", "2"); // 3
        using WatchStream ws = _s.Store.NewWatchStream();
        Assert.True(ws.RequestProgressAll());
        Assert.False(ws.TryRead(out _));

        _ = ws.Watch(B("a").Span, default, 0).Value;
        long behind = Id(ws.Watch(B("x").Span, default, 2));
        Assert.False(ws.RequestProgressAll()); // the second watcher still has revisions 2 and 3 to deliver
        List<WatchResponse> caughtUp = Drain(ws);
        Assert.Equal(behind, Assert.Single(caughtUp).WatchId);

        Assert.True(ws.RequestProgressAll());
        Assert.True(ws.TryRead(out WatchResponse r));
        Assert.Equal(-1, r.WatchId);
        Assert.Empty(r.Events);
        Assert.Equal(3, r.Header.Revision);
        Assert.False(ws.TryRead(out _)); // one response for the whole stream
    }

    [Fact]
    public void RequestProgressAll_IsNotSentForAWatcherStartingBeyondTheNextRevision()
    {
        // etcd progressIfSync: a watcher whose start revision is still ahead makes the stream not in sync.
        using WatchStream ws = _s.Store.NewWatchStream();
        _ = ws.Watch(B("a").Span, default, 10).Value;
        Assert.False(ws.RequestProgressAll());
        Assert.False(ws.TryRead(out _));
    }

    [Fact]
    public void OneTxnWithManyChanges_IsOneResponseAtOneRevision()
    {
        // etcd watchableStore.notify: the events of one revision reach a watcher as one response.
        using WatchStream ws = _s.Store.NewWatchStream();
        _ = ws.Watch(B("k/").Span, B("k0").Span, 0).Value;
        _s.Put("k/del", "1"); // 2
        _ = TxnApplier.Txn(_s.Store, Txn(success: [OpPut("k/1", "1"), OpPut("k/2", "1"), OpDel("k/del"), OpPut("other", "1"), OpPut("k/3", "1")])).Value; // 3
        List<WatchResponse> rs = Drain(ws);
        Assert.Equal(2, rs.Count);
        Assert.Equal(3, rs[1].Header.Revision);
        Assert.Equal("PUT:k/1@3 PUT:k/2@3 DEL:k/del@3 PUT:k/3@3", Events(rs.Skip(1)));
        // and the same from history
        using WatchStream past = _s.Store.NewWatchStream();
        _ = past.Watch(B("k/").Span, B("k0").Span, 3).Value;
        List<WatchResponse> hist = Drain(past);
        Assert.Single(hist);
        Assert.Equal("PUT:k/1@3 PUT:k/2@3 DEL:k/del@3 PUT:k/3@3", Events(hist));
    }

    [Fact]
    public void Cancel_StopsTheWatcher()
    {
        // etcd watchStream.Cancel: the watcher leaves its group and gets nothing more.
        using WatchStream ws = _s.Store.NewWatchStream();
        long a = Id(ws.Watch(B("a").Span, default, 0));
        long b = Id(ws.Watch(B("b").Span, default, 0));
        Assert.Equal(2, _s.Store.SyncedWatcherCount);
        Assert.True(ws.Cancel(a));
        Assert.False(ws.Cancel(a));
        Assert.Equal(1, _s.Store.SyncedWatcherCount);
        _s.Put("a", "1");
        _s.Put("b", "1");
        List<WatchResponse> rs = Drain(ws);
        Assert.Equal([b], rs.Select(r => r.WatchId));
    }

    [Fact]
    public void CancelledCatchingUpWatcher_SendsNothingMore()
    {
        // etcd watchStream.Cancel works on an unsynced watcher too.
        _s.Put("a", "1");
        using WatchStream ws = _s.Store.NewWatchStream();
        long id = Id(ws.Watch(B("a").Span, default, 1));
        Assert.True(ws.Cancel(id));
        _s.Put("a", "2");
        Assert.Empty(Drain(ws));
    }

    [Fact]
    public void WatchIds_AreAssignedFrom0_AndADuplicateIdIsRefused()
    {
        // etcd watchStream.Watch: AutoWatchID picks the next free id; a given id in use is ErrWatcherDuplicateID.
        using WatchStream ws = _s.Store.NewWatchStream();
        Assert.Equal(0, Id(ws.Watch(B("a").Span, default, 0)));
        Assert.Equal(1, Id(ws.Watch(B("a").Span, default, 0)));
        Assert.Equal(7, Id(ws.Watch(B("a").Span, default, 0, watchId: 7)));
        Assert.Equal(MvccError.DuplicateWatchId, ws.Watch(B("b").Span, default, 0, watchId: 7).Error);
        Assert.Equal(MvccError.DuplicateWatchId, ws.Watch(B("b").Span, default, 0, watchId: 1).Error);
        // another stream has its own ids
        using WatchStream other = _s.Store.NewWatchStream();
        Assert.Equal(7, Id(other.Watch(B("a").Span, default, 0, watchId: 7)));
    }

    [Theory]
    [InlineData("b", "a")]
    [InlineData("b", "b")]
    public void EmptyRange_IsEmptyWatcherRange(string key, string end)
    {
        // etcd watchStream.Watch: range_end set and not after key -> ErrEmptyWatcherRange.
        using WatchStream ws = _s.Store.NewWatchStream();
        Assert.Equal(MvccError.EmptyWatcherRange, ws.Watch(B(key).Span, B(end).Span, 0).Error);
        Assert.Equal(0, ws.Count);
    }

    [Fact]
    public async Task ReadAsync_WaitsForTheNextWrite()
    {
        // etcd v3rpc watch sendLoop: a response is sent as soon as a write notifies the watcher.
        using WatchStream ws = _s.Store.NewWatchStream();
        _ = ws.Watch(B("a").Span, default, 0).Value;
        ValueTask<WatchResponse> pending = ws.ReadAsync();
        Assert.False(pending.IsCompleted);
        _s.Put("a", "1");
        WatchResponse r = await pending.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("PUT:a@2", Events([r]));
    }

    [Fact]
    public async Task SlowConsumer_NeverBlocksWriters_AndLaterGetsEveryEventInOrder()
    {
        // etcd watchableStore: a watcher whose channel is full moves to the victim/unsynced group; writers go on,
        // and the watcher is caught up from history later, with no gap and no duplicate.
        const int puts = 10_000;
        using WatchStream ws = _s.Store.NewWatchStream(capacity: 4);
        _ = ws.Watch(B("k/").Span, B("k0").Span, 0).Value;
        _ = ws.Watch(B("k/5").Span, default, 0).Value;
        var writer = Task.Run(() =>
        {
            for (int i = 0; i < puts; i++) _s.Put($"k/{i % 10}", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        });
        await writer.WaitAsync(TimeSpan.FromSeconds(60)); // throws TimeoutException if a stream nobody reads blocked the writer

        var byWatcher = new Dictionary<long, List<Event>>();
        foreach (WatchResponse r in Drain(ws))
        {
            if (!byWatcher.TryGetValue(r.WatchId, out List<Event>? list)) byWatcher[r.WatchId] = list = [];
            list.AddRange(r.Events);
        }
        Assert.Equal(Enumerable.Range(2, puts).Select(i => (long)i), byWatcher[0].Select(e => e.Kv.ModRevision));
        Assert.Equal(Enumerable.Range(0, puts).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            byWatcher[0].Select(e => e.Kv.Value.ToStringUtf8()));
        Assert.Equal(Enumerable.Range(0, puts).Where(i => i % 10 == 5).Select(i => (long)i + 2), byWatcher[1].Select(e => e.Kv.ModRevision));
        Assert.True(ws.AllSynced);
        _s.Put("k/5", "last");
        Assert.Equal(2, Drain(ws).Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task WatcherThatRejoinsAndAtOnceFallsBehind_IsNotLost(int capacity)
    {
        // A watcher caught up to the current revision rejoins the synced group; if the very next writes overflow
        // its stream again it must be queued for catch-up again, not dropped (its reader would wait forever).
        const int puts = 20_000;
        using WatchStream ws = _s.Store.NewWatchStream(capacity);
        _ = ws.Watch(B("k").Span, default, 0).Value;
        var writer = Task.Run(() =>
        {
            for (int i = 0; i < puts; i++) _s.Put("k", "v");
        });
        long next = 2;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (next < puts + 2)
        {
            WatchResponse r;
            try
            {
                r = await ws.ReadAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"no event after revision {next - 1} of {puts + 1}; the watcher was lost (AllSynced {ws.AllSynced})");
                return;
            }
            foreach (Event e in r.Events) Assert.Equal(next++, e.Kv.ModRevision);
        }
        await writer;
    }

    [Fact]
    public async Task SlowConsumer_ReadingWhileWritersRun_GetsEveryEventOnce()
    {
        // etcd watchableStore: events reach a watcher in revision order, none lost or repeated, while writes go on.
        const int puts = 5_000;
        using WatchStream ws = _s.Store.NewWatchStream(capacity: 4);
        _ = ws.Watch(B("k").Span, default, 0).Value;
        var writer = Task.Run(() =>
        {
            for (int i = 0; i < puts; i++) _s.Put("k", "v");
        });
        var seen = new List<long>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (seen.Count < puts)
        {
            WatchResponse r = await ws.ReadAsync(cts.Token);
            seen.AddRange(r.Events.Select(e => e.Kv.ModRevision));
            if (seen.Count % 7 == 0) await Task.Yield();
        }
        await writer;
        Assert.Equal(Enumerable.Range(2, puts).Select(i => (long)i), seen);
    }
}

/// <summary>Memory measurements must not share the process with tests running in parallel.</summary>
[CollectionDefinition(nameof(WatchMemoryCollection), DisableParallelization = true)]
public sealed class WatchMemoryCollection;

[Collection(nameof(WatchMemoryCollection))]
public sealed class WatchScaleTests(ITestOutputHelper output)
{
    [Fact]
    public void HundredThousandWatchers_StayWithinBoundedMemory_AndAWriteReachesThemAll()
    {
        // etcd holds many watchers per store cheaply (a watcher is a small struct in a map); here: < 2 KB each.
        const int streams = 10, perStream = 10_000;
        using var s = new RuleStore();
        s.Put("hot", "0");
        var list = new List<WatchStream>();
        for (int i = 0; i < streams; i++) list.Add(s.Store.NewWatchStream(capacity: perStream));

        long before = GC.GetTotalMemory(forceFullCollection: true);
        var created = System.Diagnostics.Stopwatch.StartNew();
        foreach (WatchStream ws in list)
        {
            for (int j = 0; j < perStream; j++) _ = ws.Watch(B("hot").Span, default, 0).Value;
        }
        output.WriteLine($"created {streams * perStream} watchers in {created.ElapsedMilliseconds} ms");
        long after = GC.GetTotalMemory(forceFullCollection: true);
        long perWatcher = (after - before) / (streams * perStream);
        output.WriteLine($"{perWatcher} bytes per watcher");
        Assert.True(perWatcher < 2048, $"{perWatcher} bytes per watcher");
        Assert.Equal(streams * perStream, s.Store.SyncedWatcherCount);

        s.Put("hot", "1");
        foreach (WatchStream ws in list)
        {
            var ids = new HashSet<long>();
            while (ws.TryRead(out WatchResponse r))
            {
                Assert.Equal(3, r.Header.Revision);
                Assert.True(ids.Add(r.WatchId));
            }
            Assert.Equal(perStream, ids.Count);
        }
        var sw = System.Diagnostics.Stopwatch.StartNew();
        foreach (WatchStream ws in list) ws.Dispose();
        output.WriteLine($"closed {streams * perStream} watchers in {sw.ElapsedMilliseconds} ms");
        Assert.Equal(0, s.Store.SyncedWatcherCount);
    }

    [Fact]
    public void HundredThousandWatchersFallingBehindAtOnce_DoNotBlockTheWriter()
    {
        // etcd watchableStore: moving a watcher to the victim/unsynced group is O(1) (watcher sets are maps), so a
        // write that overflows a stream of many watchers still completes at once. A cost per watcher that grows
        // with the number of watchers (100,000 x 100,000) would hold the write for tens of seconds.
        const int watchers = 100_000;
        using var s = new RuleStore();
        using WatchStream ws = s.Store.NewWatchStream(capacity: 4);
        for (int j = 0; j < watchers; j++) _ = ws.Watch(B(j % 2 == 0 ? "k" : "a").Span, j % 2 == 0 ? default : B("z").Span, 0).Value;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        s.Put("k", "1");
        output.WriteLine($"put with {watchers} watchers falling behind: {sw.ElapsedMilliseconds} ms");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"the put took {sw.ElapsedMilliseconds} ms");
        Assert.Equal(4, s.Store.SyncedWatcherCount); // the four whose responses fit in the stream

        var ids = new HashSet<long>();
        while (ws.TryRead(out WatchResponse r))
        {
            Assert.Equal("k", r.Events.Single().Kv.Key.ToStringUtf8());
            Assert.True(ids.Add(r.WatchId));
        }
        Assert.Equal(watchers, ids.Count);
        Assert.Equal(watchers, s.Store.SyncedWatcherCount);
    }

    [Fact]
    public void CancellingHundredThousandWatchers_TakesTimeLinearInTheirNumber()
    {
        // etcd watcherGroup.delete is O(1) per watcher; cancelling each of 100,000 watchers on one key (and on one
        // range) must not scan the others under the store lock.
        const int watchers = 100_000;
        using var s = new RuleStore();
        using WatchStream ws = s.Store.NewWatchStream();
        var ids = new List<long>();
        for (int j = 0; j < watchers; j++) ids.Add(ws.Watch(B(j % 2 == 0 ? "k" : "a").Span, j % 2 == 0 ? default : B("z").Span, 0).Value.WatchId);
        ids.Reverse();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        foreach (long id in ids) Assert.True(ws.Cancel(id));
        output.WriteLine($"cancelled {watchers} watchers in {sw.ElapsedMilliseconds} ms");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"cancelling took {sw.ElapsedMilliseconds} ms");
        Assert.Equal(0, s.Store.SyncedWatcherCount);
        Assert.Equal(0, ws.Count);
    }
}
