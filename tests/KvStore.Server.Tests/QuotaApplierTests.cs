using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;
using KvStore.Server.Apply;

namespace KvStore.Server.Tests;

/// <summary>
/// etcd's quotaApplierV3 on a real engine: a write the quota charges for that finds no room at apply is applied (every
/// member applies it alike) and answered NOSPACE with the alarm raised once; what costs nothing passes untouched.
/// </summary>
public sealed class QuotaApplierTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kvstore-server-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public void AWriteWithoutRoomAtApplyIsAppliedAndAnsweredNoSpace()
    {
        using MvccStore store = MvccStore.Open(Path.Combine(_dir, "engine"));
        long dbSize = 0;
        int raised = 0;
        var alarms = new AlarmStore();
        var quota = new Quota(alarms, () => dbSize, quotaBytes: 10_000, diskRoom: _ => true,
            raiseNoSpace: () => { raised++; return Task.CompletedTask; }, TimeSpan.FromSeconds(1));
        var applier = new QuotaApplier(quota, new BackendApplier(store));

        ApplyResult roomy = applier.Apply(1, Put("a", "1"), nowMs: 0);
        Assert.Equal(ServerError.None, roomy.ServerError);
        Assert.Equal(0, raised);

        dbSize = 9_900; // 256 + key + value no longer fits below the quota
        ApplyResult full = applier.Apply(2, Put("b", "2"), nowMs: 0);
        Assert.Equal(ServerError.NoSpace, full.ServerError);
        Assert.Equal(1, raised);
        Assert.Equal("2", Assert.Single(store.Range(new RangeRequest { Key = ByteString.CopyFromUtf8("b") }).Value.Kvs).Value.ToStringUtf8());
        Assert.Equal(2, store.ConsistentIndex);

        // a delete costs nothing: applied and answered as usual, no second alarm
        var delete = new InternalRaftRequest { DeleteRange = new DeleteRangeRequest { Key = ByteString.CopyFromUtf8("a") } };
        ApplyResult deleted = applier.Apply(3, delete, nowMs: 0);
        Assert.Equal(ServerError.None, deleted.ServerError);
        Assert.Equal(1, ((DeleteRangeResponse)deleted.Response!).Deleted);
        Assert.Equal(1, raised);
    }

    private static InternalRaftRequest Put(string key, string value) =>
        new() { Put = new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) } };

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
