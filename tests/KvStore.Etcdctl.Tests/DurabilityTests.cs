using System.Globalization;

namespace KvStore.Etcdctl.Tests;

/// <summary>kvstore killed with SIGKILL keeps every acknowledged write, and a watch from a past revision replays them after restart.</summary>
public sealed class DurabilityTests
{
    [Fact]
    public async Task AcknowledgedPutsSurviveSigkillAndWatchResumes()
    {
        using var kv = ServerProcess.StartKvStore();
        var first = await Compare.RevisionAsync(kv) + 1;
        const int n = 40;
        var puts = Enumerable.Range(0, n).Select(async i =>
        {
            var r = await Ctl.RunAsync(kv.Url, "put", $"du/{i:D3}", $"value-{i}");
            Assert.True(r.Exit == 0, r.ToString());
        });
        await Task.WhenAll(puts);
        var last = await Compare.RevisionAsync(kv);
        Assert.Equal(first + n - 1, last);

        kv.Restart(); // SIGKILL, then the same data dir and ports

        var keys = await Ctl.RunAsync(kv.Url, "get", "du/", "--prefix", "--keys-only");
        Assert.Equal(0, keys.Exit);
        var present = keys.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Enumerable.Range(0, n).Select(i => $"du/{i:D3}"), present);
        Assert.Equal(last, await Compare.RevisionAsync(kv));

        await using var watch = Ctl.Start(kv.Url, ["watch", "du/", "--prefix", "--rev", first.ToString(CultureInfo.InvariantCulture)]);
        await watch.WaitLinesAsync(3 * n);
        Assert.Equal(0, (await Ctl.RunAsync(kv.Url, "put", "du/after", "restart")).Exit);
        var lines = await watch.WaitLinesAsync(3 * (n + 1));
        Assert.Equal(3 * (n + 1), lines.Count);
        Assert.Equal(n + 1, lines.Count(l => l == "PUT"));
        Assert.Equal(["PUT", "du/after", "restart"], lines.TakeLast(3));
        Assert.Equal(Enumerable.Range(0, n).Select(i => $"du/{i:D3}").Order(StringComparer.Ordinal), lines.Where(l => l.StartsWith("du/", StringComparison.Ordinal) && l != "du/after").Order(StringComparer.Ordinal));
    }
}
