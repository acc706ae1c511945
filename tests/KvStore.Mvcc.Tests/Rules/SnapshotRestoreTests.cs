using Etcdserverpb;
using KvStore.Mvcc.Watch;
using static KvStore.Mvcc.Tests.Rules.RuleStore;

namespace KvStore.Mvcc.Tests.Rules;

/// <summary>
/// In-place restore (a Raft snapshot installed on a member that is behind): the member's state becomes the
/// snapshot's, a damaged snapshot changes nothing, and open watchers catch up from the restored history or
/// end with the compact revision (etcd's watchableStore.Restore moves synced watchers to unsynced).
/// </summary>
public sealed class SnapshotRestoreTests : IDisposable
{
    private readonly RuleStore _leader = new();
    private readonly RuleStore _member = new();

    public SnapshotRestoreTests()
    {
        _leader.Put("a", "1"); // 2
        _leader.Put("b", "1"); // 3
        _leader.Put("a", "2"); // 4
        _leader.Put("c", "1"); // 5
        _member.Put("x", "only on the member"); // 2
    }

    public void Dispose()
    {
        _leader.Dispose();
        _member.Dispose();
    }

    private byte[] Export()
    {
        using var ms = new MemoryStream();
        _leader.Store.Export(ms);
        return ms.ToArray();
    }

    private static string Drain(WatchStream ws)
    {
        var parts = new List<string>();
        while (ws.TryRead(out WatchResponse r))
        {
            if (r.CompactRevision != 0) parts.Add($"compacted@{r.CompactRevision}");
            parts.AddRange(r.Events.Select(e => $"{e.Kv.Key.ToStringUtf8()}={e.Kv.Value.ToStringUtf8()}@{e.Kv.ModRevision}"));
        }
        return string.Join(" ", parts);
    }

    [Fact]
    public async Task Restore_ReplacesTheWholeState()
    {
        await _member.Store.RestoreAsync(new MemoryStream(Export()));
        Assert.Equal(_leader.Rev, _member.Rev);
        Assert.Equal(_leader.Store.HashKV(0).Value.Hash, _member.Store.HashKV(0).Value.Hash);
        Assert.Equal(_leader.Store.ConsistentIndex, _member.Store.ConsistentIndex);
        Assert.Empty(_member.Get("x").Kvs);
        // and it survives a reopen (the restore checkpointed it)
        _member.Reopen();
        Assert.Equal(_leader.Store.HashKV(0).Value.Hash, _member.Store.HashKV(0).Value.Hash);
        Assert.Equal(_leader.Rev, _member.Rev);
    }

    [Fact]
    public async Task Restore_WatchersCatchUpFromTheRestoredHistory()
    {
        using WatchStream ws = _member.Store.NewWatchStream();
        _ = ws.Watch(B("a").Span, default, 3).Value; // waits for revision 3 on the member
        await _member.Store.RestoreAsync(new MemoryStream(Export()));
        Assert.Equal("a=2@4", Drain(ws));
        _member.Put("a", "3"); // and it is synced again
        Assert.Equal("a=3@6", Drain(ws));
    }

    [Fact]
    public async Task Restore_WatcherBehindTheSnapshotsCompactionEnds()
    {
        _ = _leader.Store.Compact(4).Value;
        using WatchStream ws = _member.Store.NewWatchStream();
        _ = ws.Watch(B("a").Span, default, 3).Value;
        await _member.Store.RestoreAsync(new MemoryStream(Export()));
        Assert.Equal("compacted@4", Drain(ws));
    }

    [Fact]
    public async Task Restore_OfADamagedSnapshotChangesNothing()
    {
        byte[] snapshot = Export();
        snapshot[snapshot.Length / 2] ^= 0xFF;
        uint before = _member.Store.HashKV(0).Value.Hash;
        await Assert.ThrowsAsync<InvalidDataException>(() => _member.Store.RestoreAsync(new MemoryStream(snapshot)));
        Assert.Equal(before, _member.Store.HashKV(0).Value.Hash);
        Assert.Single(_member.Get("x").Kvs);
    }

    private static void EnableAuth(MvccStore s, long index)
    {
        Assert.Equal(MvccError.None, s.Apply(index, new InternalRaftRequest { AuthUserAdd = new AuthUserAddRequest { Name = "root", HashedPassword = "$2a$04$h" } }).Error);
        Assert.Equal(MvccError.None, s.Apply(index + 1, new InternalRaftRequest { AuthUserGrantRole = new AuthUserGrantRoleRequest { User = "root", Role = "root" } }).Error);
        Assert.Equal(MvccError.None, s.Apply(index + 2, new InternalRaftRequest { AuthEnable = new AuthEnableRequest() }).Error);
    }

    [Fact]
    public async Task Restore_ReplacesTheAuthStoreToo()
    {
        EnableAuth(_leader.Store, 100);
        await _member.Store.RestoreAsync(new MemoryStream(Export()));
        _member.Store.Auth().Recover(); // etcd's applySnapshot: authStore.Recover after the backend is replaced
        Assert.True(_member.Store.Auth().Enabled);
        Assert.Equal(_leader.Store.Auth().Revision, _member.Store.Auth().Revision);

        // and a snapshot without auth turns it off again (nothing of the member's own state is left)
        using var plain = new RuleStore();
        plain.Put("a", "1");
        using var ms = new MemoryStream();
        plain.Store.Export(ms);
        await _member.Store.RestoreAsync(new MemoryStream(ms.ToArray()));
        _member.Store.Auth().Recover();
        Assert.False(_member.Store.Auth().Enabled);
        Assert.Equal(plain.Store.HashKV(0).Value.Hash, _member.Store.HashKV(0).Value.Hash);
    }
}
