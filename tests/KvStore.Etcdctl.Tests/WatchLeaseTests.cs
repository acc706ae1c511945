using System.Text.RegularExpressions;

namespace KvStore.Etcdctl.Tests;

/// <summary>etcdctl watch (background processes) and lease commands against etcd and kvstore, output compared.</summary>
public sealed partial class WatchLeaseTests(PairFixture pair) : IClassFixture<PairFixture>
{
    private ServerProcess[] Both => [pair.Etcd, pair.Kv];

    /// <summary>Starts the same watch on both, runs <paramref name="write"/>, waits for <paramref name="lines"/> lines, kills the watches and compares their output.</summary>
    private async Task<List<string>> WatchSameAsync(Func<ServerProcess, string[]> args, int lines, Func<Task> write, string? stdin = null)
    {
        var watches = new List<Ctl.Running>();
        try
        {
            foreach (var s in Both)
            {
                var w = Ctl.Start(s.Url, args(s), stdin is not null);
                watches.Add(w);
                if (stdin is not null)
                {
                    await w.Input.WriteAsync(stdin);
                    await w.Input.FlushAsync();
                }
            }
            await Task.Delay(1000); // both watches established
            await write();
            var outputs = new List<List<string>>();
            foreach (var w in watches)
            {
                await w.WaitLinesAsync(lines);
                var (o, _) = await w.StopAsync();
                outputs.Add(o);
            }
            var etcd = Compare.Normalise(string.Join('\n', outputs[0]), pair.Etcd);
            var kv = Compare.Normalise(string.Join('\n', outputs[1]), pair.Kv);
            Assert.True(outputs[0].Count >= lines, "etcd printed too little:\n" + etcd);
            Assert.True(etcd == kv, $"watch {string.Join(' ', args(pair.Etcd))}\n--- etcd:\n{etcd}\n--- kvstore:\n{kv}");
            return outputs[0];
        }
        finally
        {
            foreach (var w in watches)
            {
                await w.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task WatchPrefixPrevKvAndRevPrintTheSame()
    {
        await Compare.SameAsync(pair, "put", "wa/a", "0");
        foreach (var s in Both)
        {
            s.Vars["wrev"] = (await Compare.RevisionAsync(s)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        async Task Write()
        {
            await Compare.SameAsync(pair, "put", "wa/a", "1");
            await Compare.SameAsync(pair, "put", "wa/b", "2");
            await Compare.SameAsync(pair, "put", "wb/out", "not watched");
            await Compare.SameAsync(pair, "del", "wa/a");
        }
        var seen = await WatchSameAsync(_ => ["watch", "wa/", "--prefix", "--prev-kv"], 10, Write);
        Assert.Contains("DELETE", seen);
        // From a past revision: the history since then, at once.
        await WatchSameAsync(s => ["watch", "wa/", "--prefix", "--rev", s.Vars["wrev"]], 10, () => Task.CompletedTask);
        await WatchSameAsync(s => ["watch", "wa/a", "--rev", s.Vars["wrev"], "-w", "json"], 1, () => Task.CompletedTask);
        await WatchSameAsync(_ => ["watch", "wa/b", "wa/z"], 3, () => Compare.SameAsync(pair, "put", "wa/c", "range"));
    }

    [Fact]
    public async Task InteractiveWatchWithProgressRequestPrintsTheSame()
    {
        await Compare.SameAsync(pair, "put", "wi/a", "0");
        async Task Write()
        {
            await Compare.SameAsync(pair, "put", "wi/a", "1");
        }
        var seen = await WatchSameAsync(_ => ["watch", "-i"], 3, Write, "watch wi/ --prefix\n");
        Assert.Contains("wi/a", seen);
        var progress = await WatchSameAsync(_ => ["watch", "-i"], 1, () => Task.CompletedTask, "watch wi/ --prefix\nprogress\n");
        Assert.Contains(progress, l => l.StartsWith("progress notify: ", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"remaining\(\d+s\)|""ttl"":\d+|TTL\((59\d|600)\)")]
    private static partial Regex Remaining();

    private static string MaskRemaining(string s) => Remaining().Replace(s, "TTLLEFT");

    [Fact]
    public async Task LeaseCommandsPrintTheSame()
    {
        foreach (var s in Both)
        {
            var g = await Ctl.RunAsync(s.Url, "lease", "grant", "600");
            Compare.RememberLease(s, "L_one", g);
            Compare.RememberLease(s, "L_two", await Ctl.RunAsync(s.Url, "lease", "grant", "900"));
        }
        await Compare.SameAsync(pair, s => ["put", "ls/a", "1", "--lease=" + s.Vars["L_one"]]);
        await Compare.SameAsync(pair, s => ["put", "ls/b", "2", "--lease", s.Vars["L_one"]]);
        await Compare.SameAsync(pair, s => ["put", "ls/c", "3", "--lease=" + s.Vars["L_two"], "-w", "json"]);
        await Compare.SameAsync(pair, "get", "ls/", "--prefix", "-w", "json");
        await Compare.SameAsync(pair, s => ["lease", "timetolive", s.Vars["L_one"]], extra: MaskRemaining);
        await Compare.SameAsync(pair, s => ["lease", "timetolive", s.Vars["L_one"], "--keys"], extra: t => SortAttachedKeys(MaskRemaining(t)));
        await Compare.SameAsync(pair, s => ["lease", "timetolive", s.Vars["L_two"], "--keys", "-w", "json"], extra: MaskRemaining);
        await Compare.SameAsync(pair, "lease", "timetolive", "1234abcd");
        await Compare.SameAsync(pair, _ => ["lease", "list"], extra: SortLines);
        await Compare.SameAsync(pair, _ => ["lease", "list", "-w", "json"], extra: SortLeaseJson);
        await Compare.SameAsync(pair, s => ["lease", "keep-alive", "--once", s.Vars["L_one"]], extra: MaskRemaining);
        await Compare.SameAsync(pair, s => ["lease", "keep-alive", "--once", s.Vars["L_one"], "-w", "json"], extra: MaskRemaining);
        await Compare.SameAsync(pair, "lease", "keep-alive", "--once", "1234abcd");

        // Streaming keep-alive for a couple of seconds: a short TTL so it renews more than once, granted just before
        // its keep-alive starts (granting both first left one lease 3 s to live across two etcdctl runs under load).
        var outputs = new List<string>();
        foreach (var s in Both)
        {
            Compare.RememberLease(s, "L_ka", await Ctl.RunAsync(s.Url, "lease", "grant", "3"));
            await using var ka = Ctl.Start(s.Url, ["lease", "keep-alive", s.Vars["L_ka"]]);
            await Task.Delay(2500);
            var (lines, _) = await ka.StopAsync();
            Assert.True(lines.Count >= 2, $"{s}: {string.Join('\n', lines)}");
            outputs.Add(Compare.Normalise(string.Join('\n', lines.Distinct()), s));
        }
        Assert.Equal(outputs[0], outputs[1]);
        Assert.Equal("lease L_ka keepalived with TTL(3)", outputs[0]);

        await Compare.SameAsync(pair, s => ["lease", "revoke", s.Vars["L_one"]]);
        await Compare.SameAsync(pair, s => ["lease", "revoke", s.Vars["L_one"]]);
        await Compare.SameAsync(pair, "get", "ls/", "--prefix");
        await Compare.SameAsync(pair, s => ["lease", "timetolive", s.Vars["L_one"]]);
        await Compare.SameAsync(pair, s => ["lease", "revoke", s.Vars["L_two"]]);
        await Compare.SameAsync(pair, "put", "ls/x", "y", "--lease=1234abcd");
        await Compare.SameAsync(pair, "lease", "grant", "-5");
    }

    // etcd lists a lease's keys in Go map order (random per call); compare them as a set.
    private static string SortAttachedKeys(string s) => AttachedKeys().Replace(s, m =>
        "attached keys([" + string.Join(' ', m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)) + "])");

    [GeneratedRegex(@"attached keys\(\[([^\]]*)\]\)")]
    private static partial Regex AttachedKeys();

    private static string SortLines(string s)
    {
        var lines = s.Split('\n');
        return string.Join('\n', lines.Take(1).Concat(lines.Skip(1).Order(StringComparer.Ordinal)));
    }

    private static string SortLeaseJson(string s) =>
        LeaseList().Replace(s, m => "\"leases\":[" + string.Join(',', m.Groups[1].Value.Split("},").Select(x => x.TrimEnd('}') + "}").Order(StringComparer.Ordinal)) + "]");

    [GeneratedRegex(@"""leases"":\[(.*?)\]")]
    private static partial Regex LeaseList();
}
