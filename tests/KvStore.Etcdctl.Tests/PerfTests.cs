using System.Text.RegularExpressions;

namespace KvStore.Etcdctl.Tests;

/// <summary>etcdctl check perf --load=s (60 s each, run side by side): both complete and print the same summary shape.</summary>
public sealed partial class PerfTests(PairFixture pair) : IClassFixture<PairFixture>
{
    [GeneratedRegex(@"(?m)^(PASS|FAIL): ([A-Za-z ]+?)(?= is| took|:| \d|$)")]
    private static partial Regex Summary();

    [Fact]
    public async Task CheckPerfCompletesOnBoth()
    {
        var etcd = Ctl.RunAsync(pair.Etcd.HostPort, ["check", "perf", "--load=s"], seconds: 150);
        var kv = Ctl.RunAsync(pair.Kv.HostPort, ["check", "perf", "--load=s"], seconds: 150);
        var e = await etcd;
        var k = await kv;
        Assert.True(e.Exit == 0, "etcd: " + e);
        string Shape(Ctl.Result r) => string.Join('\n', Summary().Matches(r.Out).Select(m => m.Groups[2].Value));
        Assert.NotEmpty(Shape(e));
        Assert.True(Shape(e) == Shape(k), $"--- etcd:\n{e}\n--- kvstore:\n{k}");
        Assert.True(k.Exit == 0, "kvstore: " + k);
    }
}
