using Etcdserverpb;
using Grpc.Core;
using static KvStore.Grpc.Tests.GrpcHost;

namespace KvStore.Grpc.Tests;

/// <summary>Compaction through the KV service and what it does to reads, watches and hashes (its own member).</summary>
public sealed class CompactionTests : IAsyncLifetime
{
    private GrpcHost _h = null!;

    public async Task InitializeAsync() => _h = await GrpcHost.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Compact_ThenOldRevisionsAreCompactedForReadsWatchesAndHashes()
    {
        long first = await _h.PutAsync("c/a", "1");
        await _h.PutAsync("c/a", "2");
        long third = await _h.PutAsync("c/a", "3");

        CompactionResponse r = await _h.Kv.CompactAsync(new CompactionRequest { Revision = third, Physical = true });
        Assert.Equal(_h.Server.Store.CurrentRevision, r.Header.Revision);
        Assert.Equal(_h.Server.MemberId, r.Header.MemberId);

        const string compacted = "etcdserver: mvcc: required revision has been compacted";
        AssertStatus(StatusCode.OutOfRange, compacted,
            await FailsWith(() => _h.Kv.RangeAsync(new RangeRequest { Key = B("c/a"), Revision = first }).ResponseAsync));
        AssertStatus(StatusCode.OutOfRange, compacted,
            await FailsWith(() => _h.Kv.CompactAsync(new CompactionRequest { Revision = first }).ResponseAsync));
        AssertStatus(StatusCode.OutOfRange, compacted,
            await FailsWith(() => _h.Maintenance.HashKVAsync(new HashKVRequest { Revision = first }).ResponseAsync));
        Assert.Equal("3", (await _h.Kv.RangeAsync(new RangeRequest { Key = B("c/a"), Revision = third })).Kvs[0].Value.ToStringUtf8());

        // etcd: a watcher from a compacted revision gets the compact revision and is canceled.
        await using var w = new WatchCall(_h.Watch);
        WatchResponse created = await w.WatchAsync(new WatchCreateRequest { Key = B("c/a"), StartRevision = first });
        WatchResponse notice = await w.NextAsync();
        Assert.Equal(created.WatchId, notice.WatchId);
        Assert.True(notice.Canceled);
        Assert.Equal(third, notice.CompactRevision);
        Assert.Empty(notice.Events);
        // and nothing more for it
        await _h.PutAsync("c/a", "4");
        await w.NothingWithinAsync(300);
    }
}
