using Etcdserverpb;
using KvStore.Mvcc.Watch;
using static KvStore.Mvcc.Tests.Rules.RuleStore;

namespace KvStore.Mvcc.Tests.Rules;

/// <summary>etcd compaction rules (mvcc/kvstore.go Compact/updateCompactRev, mvcc/key_index.go compact).</summary>
public sealed class CompactionTests : IDisposable
{
    private readonly RuleStore _s = new();

    // a: 2, 3, 7; b: 4, deleted 5; c: 6 (then deleted 9); d: 8
    public CompactionTests()
    {
        _s.Put("a", "a1"); // 2
        _s.Put("a", "a2"); // 3
        _s.Put("b", "b1"); // 4
        _s.Delete("b"); // 5
        _s.Put("c", "c1"); // 6
        _s.Put("a", "a3"); // 7
        _s.Put("d", "d1"); // 8
        _s.Delete("c"); // 9
    }

    public void Dispose() => _s.Dispose();

    private string[] States() => Enumerable.Range(1, (int)_s.Rev).Select(r =>
    {
        MvccResult<RangeResponse> res = _s.Store.Range(RangeReq("\0", "\0", r));
        return res.Ok ? string.Join("|", res.Value.Kvs.Select(Text)) : res.Error.ToString();
    }).ToArray();

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(9)]
    public void RangesAtOrAboveCompactRevision_AreUnchanged_BelowAreCompacted(long compactAt)
    {
        // etcd: compaction keeps, for each key, the newest revision at or below the compact revision (if live),
        // so every read at rev >= compact revision answers as before; reads below get ErrCompacted.
        string[] before = States();
        _ = _s.Store.Compact(compactAt).Value;
        string[] after = States();
        for (int rev = 1; rev <= before.Length; rev++)
        {
            if (rev < compactAt) Assert.Equal(nameof(MvccError.Compacted), after[rev - 1]);
            else Assert.Equal(before[rev - 1], after[rev - 1]);
        }
        Assert.Equal(compactAt, _s.Store.CompactRevision);
    }

    [Fact]
    public async Task History_OfDeletedKeys_IsDropped()
    {
        // etcd keyIndex.compact: a generation that ended at or below the compact revision is removed, and a key
        // with no generation left leaves the index.
        int before = _s.Store.IndexedKeyCount;
        Assert.Equal(4, before);
        _ = _s.Store.Compact(5).Value; // b's generation (4, tombstone 5) is gone
        await _s.Store.WaitForCompactionAsync();
        Assert.Equal(3, _s.Store.IndexedKeyCount);
        _ = _s.Store.Compact(9).Value; // c's generation (6, tombstone 9) is gone
        await _s.Store.WaitForCompactionAsync();
        Assert.Equal(2, _s.Store.IndexedKeyCount);
        Assert.Equal("a=a3 c2 m7 v3 l0|d=d1 c8 m8 v1 l0", string.Join("|", _s.Get("\0", "\0", 9).Kvs.Select(Text)));
    }

    [Fact]
    public void Version_SurvivesCompaction()
    {
        // etcd: version counts every put of the generation, including the compacted ones.
        _ = _s.Store.Compact(8).Value;
        _s.Put("a", "a4");
        Assert.Equal("a=a4 c2 m10 v4 l0", Text(_s.One("a")!));
    }

    [Theory]
    [InlineData(6, MvccError.Compacted)] // the same revision again
    [InlineData(3, MvccError.Compacted)] // an older revision
    [InlineData(10, MvccError.FutureRevision)] // beyond the current revision (9)
    [InlineData(7, MvccError.None)]
    [InlineData(9, MvccError.None)] // the current revision itself
    public void CompactAgain_AtOrBelowLastIsCompacted_BeyondCurrentIsFuture(long rev, MvccError expected)
    {
        // etcd updateCompactRev: rev <= compactMainRev -> ErrCompacted; rev > currentRev -> ErrFutureRev.
        _ = _s.Store.Compact(6).Value;
        Assert.Equal(expected, _s.Store.Compact(rev).Error);
        Assert.Equal(expected == MvccError.None ? rev : 6, _s.Store.CompactRevision);
    }

    [Fact]
    public void Compact_DoesNotChangeTheRevision()
    {
        // etcd: compaction is not a write txn; the response header carries the current revision.
        CompactionResponse r = _s.Store.Compact(5).Value;
        Assert.Equal(9, r.Header.Revision);
        Assert.Equal(9, _s.Rev);
    }

    [Fact]
    public void NeverCompacted_CompactRevisionIsMinus1()
    {
        // etcd mvcc: compactMainRev starts at -1.
        Assert.Equal(-1, _s.Store.CompactRevision);
    }

    [Fact]
    public void WatchFromBelowCompactRevision_GetsCompactRevisionAndEnds()
    {
        // etcd watchableStore.syncWatchers: minRev < compactMainRev -> response with CompactRevision, watcher
        // removed; a watcher from exactly the compact revision still gets events.
        _ = _s.Store.Compact(6).Value;
        using WatchStream ws = _s.Store.NewWatchStream();
        long id = ws.Watch(B("a").Span, default, 3).Value.WatchId;
        Assert.True(ws.TryRead(out WatchResponse r));
        Assert.Equal(id, r.WatchId);
        Assert.Equal(6, r.CompactRevision);
        Assert.Empty(r.Events);
        _s.Put("a", "more");
        Assert.False(ws.TryRead(out _)); // the watcher ended

        long id2 = ws.Watch(B("a").Span, B("\0").Span, 6).Value.WatchId;
        Assert.True(ws.TryRead(out WatchResponse r2));
        Assert.Equal(id2, r2.WatchId);
        Assert.Equal(0, r2.CompactRevision);
        Assert.Equal(["c=c1 c6 m6 v1 l0", "a=a3 c2 m7 v3 l0", "d=d1 c8 m8 v1 l0", "c= c0 m9 v0 l0", "a=more c2 m10 v4 l0"],
            r2.Events.Select(e => Text(e.Kv)));
    }

    [Fact]
    public void Compaction_SurvivesReopen()
    {
        // etcd mvcc restore: the compact revision is read back from the meta bucket; reads below stay compacted.
        _ = _s.Store.Compact(6).Value;
        _s.Reopen();
        Assert.Equal(6, _s.Store.CompactRevision);
        Assert.Equal(MvccError.Compacted, _s.Store.Range(RangeReq("a", rev: 5)).Error);
        Assert.Equal("a=a2 c2 m3 v2 l0", Text(_s.One("a", 6)!));
        Assert.Equal(MvccError.Compacted, _s.Store.Compact(6).Error);
    }
}
