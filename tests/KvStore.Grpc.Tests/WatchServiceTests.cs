using Etcdserverpb;
using Google.Protobuf;
using KvStore.Server;
using Mvccpb;
using static KvStore.Grpc.Tests.GrpcHost;

namespace KvStore.Grpc.Tests;

public sealed class WatchFixture : HostFixture
{
    public const int MaxRequestBytes = 64 * 1024;

    protected override ServerConfig Configure(ServerConfig c) =>
        c with { MaxRequestBytes = MaxRequestBytes, WatchProgressNotifyInterval = TimeSpan.FromMilliseconds(200) };
}

/// <summary>etcd's Watch service (v3rpc/watch.go) through a real gRPC stream to a real member.</summary>
public sealed class WatchServiceTests(WatchFixture fixture) : IClassFixture<WatchFixture>
{
    private readonly GrpcHost _h = fixture.Host;

    private static string Ev(Event e) => $"{(e.Type == Event.Types.EventType.Put ? "PUT" : "DEL")} {e.Kv.Key.ToStringUtf8()}={e.Kv.Value.ToStringUtf8()}";

    [Fact]
    public async Task Create_Events_Cancel()
    {
        await using var w = new WatchCall(_h.Watch);
        WatchResponse created = await w.WatchAsync(new WatchCreateRequest { Key = B("w/a") });
        Assert.False(created.Canceled);
        Assert.Equal(_h.Server.MemberId, created.Header.MemberId);
        Assert.Equal(_h.Server.Store.CurrentRevision, created.Header.Revision);

        long rev = await _h.PutAsync("w/a", "1");
        await _h.PutAsync("w/ab", "other key");
        WatchResponse ev = await w.NextAsync();
        Assert.Equal(created.WatchId, ev.WatchId);
        Assert.Equal(["PUT w/a=1"], ev.Events.Select(Ev));
        Assert.Equal(rev, ev.Header.Revision);
        Assert.Equal(_h.Server.ClusterId, ev.Header.ClusterId);

        await w.CancelAsync(created.WatchId);
        WatchResponse canceled = await w.NextAsync();
        Assert.True(canceled.Canceled);
        Assert.Equal(created.WatchId, canceled.WatchId);
        await _h.PutAsync("w/a", "2");
        await w.NothingWithinAsync(300);
    }

    [Fact]
    public async Task CancelOfAnUnknownWatcher_IsNotAnswered()
    {
        await using var w = new WatchCall(_h.Watch);
        await w.CancelAsync(12345);
        await w.NothingWithinAsync(300);
    }

    [Fact]
    public async Task RangeWatcher_WithPrevKvAndNoPutFilter_SeesDeletesWithTheirPreviousValue()
    {
        await _h.PutAsync("w/f/1", "old");
        await using var w = new WatchCall(_h.Watch);
        await w.WatchAsync(new WatchCreateRequest
        {
            Key = B("w/f/"), RangeEnd = B("w/f0"), PrevKv = true, Filters = { WatchCreateRequest.Types.FilterType.Noput },
        });
        await _h.PutAsync("w/f/2", "x");
        await _h.Kv.DeleteRangeAsync(new DeleteRangeRequest { Key = B("w/f/1") });
        WatchResponse r = await w.NextAsync();
        Event del = Assert.Single(r.Events);
        Assert.Equal(Event.Types.EventType.Delete, del.Type);
        Assert.Equal("old", del.PrevKv.Value.ToStringUtf8());
    }

    [Fact]
    public async Task ClientChosenIds_AndADuplicateIsRefused()
    {
        await using var w = new WatchCall(_h.Watch);
        WatchResponse seven = await w.WatchAsync(new WatchCreateRequest { Key = B("w/id"), WatchId = 7 });
        Assert.Equal(7, seven.WatchId);
        WatchResponse dup = await w.WatchAsync(new WatchCreateRequest { Key = B("w/id"), WatchId = 7 });
        Assert.True(dup.Canceled);
        Assert.Equal(-1, dup.WatchId);
        Assert.Equal("mvcc: duplicate watch ID provided on the WatchStream", dup.CancelReason);
        await _h.PutAsync("w/id", "v");
        Assert.Equal(7, (await w.NextAsync()).WatchId);
    }

    [Fact]
    public async Task EmptyRange_AndNegativeStartRevision_AreRefusedWithAReason()
    {
        await using var w = new WatchCall(_h.Watch);
        WatchResponse empty = await w.WatchAsync(new WatchCreateRequest { Key = B("w/b"), RangeEnd = B("w/a") });
        Assert.True(empty.Canceled);
        Assert.Equal(-1, empty.WatchId);
        Assert.Equal("mvcc: watcher range is empty", empty.CancelReason);
        WatchResponse negative = await w.WatchAsync(new WatchCreateRequest { Key = B("w/n"), StartRevision = -5 });
        Assert.True(negative.Canceled);
        Assert.Equal("etcdserver: mvcc: required revision has been compacted", negative.CancelReason);
    }

    [Fact]
    public async Task PastStartRevision_CatchesUpFromHistory_AfterTheCreatedResponse()
    {
        long first = await _h.PutAsync("w/h", "1");
        await _h.PutAsync("w/h", "2");
        await using var w = new WatchCall(_h.Watch);
        await w.WatchAsync(new WatchCreateRequest { Key = B("w/h"), StartRevision = first });
        var events = new List<string>();
        while (events.Count < 2) events.AddRange((await w.NextAsync()).Events.Select(Ev));
        Assert.Equal(["PUT w/h=1", "PUT w/h=2"], events);
    }

    [Fact]
    public async Task ProgressRequest_AnswersWithIdMinusOneAtTheCurrentRevision()
    {
        await using var w = new WatchCall(_h.Watch);
        await w.WatchAsync(new WatchCreateRequest { Key = B("w/p") });
        await _h.PutAsync("w/other", "x");
        await w.RequestProgressAsync();
        WatchResponse p = await w.NextAsync();
        Assert.Equal(-1, p.WatchId);
        Assert.Empty(p.Events);
        Assert.False(p.Canceled || p.Created);
        Assert.Equal(_h.Server.Store.CurrentRevision, p.Header.Revision);
    }

    [Fact]
    public async Task ProgressRequest_OnAStreamWithoutWatchers_IsNotAnswered()
    {
        await using var w = new WatchCall(_h.Watch);
        await w.RequestProgressAsync();
        await w.NothingWithinAsync(300);
    }

    [Fact]
    public async Task ProgressNotify_SendsTheWatcherEmptyResponsesWhileNothingHappens()
    {
        await using var w = new WatchCall(_h.Watch);
        WatchResponse created = await w.WatchAsync(new WatchCreateRequest { Key = B("w/quiet"), ProgressNotify = true });
        WatchResponse p = await w.NextAsync(timeoutMs: 3000);
        Assert.Equal(created.WatchId, p.WatchId);
        Assert.Empty(p.Events);
        Assert.True(p.Header.Revision >= created.Header.Revision);

        // A watcher that did not ask gets none.
        await using var silent = new WatchCall(_h.Watch);
        await silent.WatchAsync(new WatchCreateRequest { Key = B("w/quiet") });
        await silent.NothingWithinAsync(700);
    }

    [Fact]
    public async Task Fragment_SplitsALargeResponse_AndOnlyWhenAsked()
    {
        // 12 values of 60 KB in 12 revisions; a watcher from the first revision catches them up in one response
        // of ~720 KB, above the fragment limit (--max-request-bytes 64 KB + 512 KB of gRPC overhead).
        string value = new('v', 60 * 1024);
        long first = 0;
        for (int i = 0; i < 12; i++)
        {
            long rev = await _h.PutAsync($"w/frag/{i:D2}", value);
            if (i == 0) first = rev;
        }
        int limit = WatchFixture.MaxRequestBytes + WatchService.GrpcOverheadBytes;

        await using var fragmented = new WatchCall(_h.Watch);
        await fragmented.WatchAsync(new WatchCreateRequest { Key = B("w/frag/"), RangeEnd = B("w/frag0"), StartRevision = first, Fragment = true });
        var parts = new List<WatchResponse>();
        do parts.Add(await fragmented.NextAsync()); while (parts[^1].Fragment);
        Assert.True(parts.Count >= 2);
        Assert.All(parts[..^1], p => Assert.True(p.Fragment));
        Assert.All(parts, p => Assert.True(p.CalculateSize() < limit));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"w/frag/{i:D2}"), parts.SelectMany(p => p.Events).Select(e => e.Kv.Key.ToStringUtf8()));

        await using var whole = new WatchCall(_h.Watch);
        await whole.WatchAsync(new WatchCreateRequest { Key = B("w/frag/"), RangeEnd = B("w/frag0"), StartRevision = first });
        WatchResponse one = await whole.NextAsync();
        Assert.False(one.Fragment);
        Assert.Equal(12, one.Events.Count);
        Assert.True(one.CalculateSize() >= limit);
    }

    [Fact]
    public void Fragments_FollowEtcdsSendFragments()
    {
        // etcd's sendFragments: each fragment takes events while it stays under the limit; one event alone may exceed it.
        var r = new WatchResponse { WatchId = 3, Header = new ResponseHeader { Revision = 9 } };
        foreach (int size in new[] { 10, 10, 10, 100, 10 })
        {
            r.Events.Add(new Event { Kv = new KeyValue { Key = B("k"), Value = ByteString.CopyFrom(new byte[size]) } });
        }
        List<WatchResponse> parts = WatchFragments.Split(r, 70); // each small event costs 19 bytes, the response without events 8
        Assert.Equal([3, 1, 1], parts.Select(p => p.Events.Count));
        Assert.Equal([true, true, false], parts.Select(p => p.Fragment));
        Assert.All(parts, p => Assert.Equal(3, p.WatchId));
    }

    [Fact]
    public async Task ManyWatchersOnOneStream_EachGetsItsOwnEvents()
    {
        await using var w = new WatchCall(_h.Watch);
        long a = (await w.WatchAsync(new WatchCreateRequest { Key = B("w/m/a") })).WatchId;
        long all = (await w.WatchAsync(new WatchCreateRequest { Key = B("w/m/"), RangeEnd = B("w/m0") })).WatchId;
        Assert.NotEqual(a, all);
        await _h.PutAsync("w/m/a", "1");
        await _h.PutAsync("w/m/b", "2");
        var got = new List<(long, string)>();
        while (got.Count < 3)
        {
            WatchResponse r = await w.NextAsync();
            got.AddRange(r.Events.Select(e => (r.WatchId, Ev(e))));
        }
        Assert.Equal(2, got.Count(g => g.Item1 == all));
        Assert.Equal([(a, "PUT w/m/a=1")], got.Where(g => g.Item1 == a));
    }
}
