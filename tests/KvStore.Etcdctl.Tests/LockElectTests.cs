using System.Text.RegularExpressions;

namespace KvStore.Etcdctl.Tests;

/// <summary>etcdctl lock and elect against etcd and kvstore, output compared (the lease id in the key masked).</summary>
public sealed partial class LockElectTests(PairFixture pair) : IClassFixture<PairFixture>
{
    [GeneratedRegex("/[0-9a-f]{1,16}$")]
    private static partial Regex LeaseSuffix();

    private static string Mask(string line) => LeaseSuffix().Replace(line, "/LEASE");

    [Fact]
    public async Task LockPrintsTheSame()
    {
        await Compare.SameAsync(pair, "lock", "lk-exec", "echo", "in the lock");
        var outputs = new List<string>();
        foreach (var s in new[] { pair.Etcd, pair.Kv })
        {
            await using var holder = Ctl.Start(s.Url, ["lock", "lk-held"]);
            var held = await holder.WaitLinesAsync(1);
            await using var waiter = Ctl.Start(s.Url, ["lock", "lk-held"]);
            // The waiter queues a key of its own behind the holder's; on a loaded machine etcdctl may take seconds to.
            List<string> keys = await KeysAsync(s.Url, "lk-held", atLeast: 2);
            var waiting = await waiter.WaitLinesAsync(1, seconds: 2);
            Assert.Empty(waiting);
            await holder.StopAsync(); // its lease lingers (TTL 60 s), so the waiter keeps waiting
            Assert.Empty(await waiter.WaitLinesAsync(1, seconds: 1));
            keys = await KeysAsync(s.Url, "lk-held", atLeast: 0);
            outputs.Add(string.Join('|', held.Select(Mask)) + "#" + string.Join('|', keys.Select(Mask)));
        }
        Assert.Equal(outputs[0], outputs[1]);
    }

    /// <summary>The keys under <paramref name="prefix"/>, once there are at least <paramref name="atLeast"/> (or after 30 s).</summary>
    private static async Task<List<string>> KeysAsync(string url, string prefix, int atLeast)
    {
        for (DateTime deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(100))
        {
            var keys = (await Ctl.RunAsync(url, "get", prefix, "--prefix", "--keys-only")).Out
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
            if (keys.Count >= atLeast || DateTime.UtcNow >= deadline) return keys;
        }
    }

    [Fact]
    public async Task ElectPrintsTheSame()
    {
        var outputs = new List<string>();
        foreach (var s in new[] { pair.Etcd, pair.Kv })
        {
            await using var leader = Ctl.Start(s.Url, ["elect", "el-one", "proposal-1"]);
            var led = await leader.WaitLinesAsync(2);
            await using var observer = Ctl.Start(s.Url, ["elect", "-l", "el-one"]);
            var seen = await observer.WaitLinesAsync(2);
            await using var second = Ctl.Start(s.Url, ["elect", "el-one", "proposal-2"]);
            var secondOut = await second.WaitLinesAsync(1, seconds: 2);
            outputs.Add(string.Join('|', led.Select(Mask)) + "#" + string.Join('|', seen.Select(Mask)) + "#" + string.Join('|', secondOut));
        }
        Assert.Equal(outputs[0], outputs[1]);
        Assert.Equal("el-one/LEASE|proposal-1#el-one/LEASE|proposal-1#", outputs[0]);
    }
}
