using DotNext.IO;
using KvStore.Mvcc;
using KvStore.Server.Snapshots;
using Kvstorepb;

namespace KvStore.Server.Tests;

/// <summary>
/// The resend rule of <see cref="EngineSnapshot"/> on a real engine export: a newer snapshot is asked for only once the
/// same one was sent more often than there are followers (two members catching up at once each get it once).
/// </summary>
public sealed class EngineSnapshotTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kvstore-server-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task ANewerSnapshotIsAskedForOnlyAfterMoreSendsThanFollowers()
    {
        using MvccStore store = MvccStore.Open(Path.Combine(_dir, "engine"));
        int resends = 0;
        var snapshot = new EngineSnapshot(10, 1, store, _dir, () => [], () => new ClusterMembers(), () => resends++,
            () => Task.CompletedTask, followers: () => 2);

        var sent = new List<long>();
        for (int send = 1; send <= 4; send++)
        {
            using var payload = new MemoryStream();
            await ((IDataTransferObject)snapshot).WriteToAsync(IAsyncBinaryWriter.Create(payload, new byte[4096]), CancellationToken.None);
            Assert.StartsWith("KVRPAY02", System.Text.Encoding.ASCII.GetString(payload.ToArray(), 0, 8));
            sent.Add(resends);
        }
        Assert.Equal([0, 0, 1, 2], sent);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
