using System.Globalization;
using System.Text.RegularExpressions;

namespace KvStore.Etcdctl.Tests;

/// <summary>A real etcd 3.4 and a kvstore process side by side, for one test class; both killed on dispose.</summary>
public sealed class PairFixture : IDisposable
{
    public PairFixture()
        : this([])
    {
    }

    /// <summary>Both started with the same extra flags (e.g. --auth-token jwt,...).</summary>
    internal PairFixture(string[] extraArgs)
    {
        Etcd = ServerProcess.Start(isEtcd: true, extraArgs);
        try
        {
            Kv = ServerProcess.Start(isEtcd: false, extraArgs);
        }
        catch
        {
            Etcd.Dispose();
            throw;
        }
    }

    public ServerProcess Etcd { get; }

    public ServerProcess Kv { get; }

    public void Dispose()
    {
        Kv.Dispose();
        Etcd.Dispose();
    }
}

/// <summary>Runs one etcdctl command against both members and compares what they print after normalising what legitimately differs.</summary>
public static partial class Compare
{
    /// <summary>Runs the command (built per member: lease ids, revisions) on etcd, then on kvstore.</summary>
    public static async Task<(Ctl.Result Etcd, Ctl.Result Kv)> BothAsync(
        PairFixture pair, Func<ServerProcess, string[]> args, string? input = null, bool hostPort = false)
    {
        var etcd = await Ctl.RunAsync(hostPort ? pair.Etcd.HostPort : pair.Etcd.Url, args(pair.Etcd), input);
        var kv = await Ctl.RunAsync(hostPort ? pair.Kv.HostPort : pair.Kv.Url, args(pair.Kv), input);
        return (etcd, kv);
    }

    public static Task<(Ctl.Result Etcd, Ctl.Result Kv)> BothAsync(PairFixture pair, params string[] args) =>
        BothAsync(pair, _ => args);

    /// <summary>Runs on both and asserts the same exit code, stdout and stderr after normalising; returns etcd's normalised result.</summary>
    public static async Task<Ctl.Result> SameAsync(
        PairFixture pair, Func<ServerProcess, string[]> args, string? input = null, bool hostPort = false, Func<string, string>? extra = null)
    {
        var (etcd, kv) = await BothAsync(pair, args, input, hostPort);
        var e = Normalise(etcd, pair.Etcd, extra);
        var k = Normalise(kv, pair.Kv, extra);
        var command = string.Join(' ', args(pair.Etcd));
        Assert.True(e == k, $"etcdctl {command}\n--- etcd:\n{e}\n--- kvstore:\n{k}");
        return e;
    }

    public static Task<Ctl.Result> SameAsync(PairFixture pair, params string[] args) => SameAsync(pair, _ => args);

    public static Ctl.Result Normalise(Ctl.Result r, ServerProcess server, Func<string, string>? extra = null) =>
        new(r.Exit, Normalise(r.Out, server, extra), Normalise(NormaliseErr(r.Err), server, extra));

    public static string Normalise(string text, ServerProcess server, Func<string, string>? extra = null)
    {
        foreach (var (name, value) in server.Vars.OrderByDescending(v => v.Value.Length))
        {
            if (name.StartsWith('L') && long.TryParse(value, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var id))
            {
                text = Regex.Replace(text, $@"\b{value}\b", name);
                text = Regex.Replace(text, $@"\b{id.ToString(CultureInfo.InvariantCulture)}\b", name);
            }
        }
        text = text.Replace(server.Url, "CLIENT", StringComparison.Ordinal)
            .Replace(server.HostPort, "CLIENT", StringComparison.Ordinal)
            .Replace($"http://127.0.0.1:{server.PeerPort}", "PEER", StringComparison.Ordinal);
        // kvstore's single member leads at raft term 0 (etcd: 2) and proto3 JSON leaves zero fields out, so the
        // term/index fields are dropped rather than masked (reported as a difference).
        text = RaftFields().Replace(text, "");
        text = HeaderIds().Replace(text, "\"$1\":ID");
        text = Version().Replace(text, "\"$1\":\"V\"");
        text = FieldsIds().Replace(text, "\"$1\" : ID");
        text = DbSize().Replace(text, "\"$1\":N");
        text = extra?.Invoke(text) ?? text;
        return text;
    }

    // etcdctl's own log lines carry a timestamp; keep the message.
    private static string NormaliseErr(string err) => ClientTarget().Replace(Timestamp().Replace(err, ""), "endpoint://client-X/");

    [GeneratedRegex(@"endpoint://client-[0-9a-f-]+/")]
    private static partial Regex ClientTarget();

    [GeneratedRegex("\"(cluster_id|member_id|raft_term|raft_index|raftIndex|raftTerm|leader|ID|raft_applied_index|raftAppliedIndex)\":\\d+")]
    private static partial Regex HeaderIds();

    [GeneratedRegex(",\"(raft_term|raftTerm|raft_index|raftIndex|raft_applied_index|raftAppliedIndex|dbSize|dbSizeInUse)\":\\d+")]
    private static partial Regex RaftFields();

    [GeneratedRegex("(?m)^\"(ClusterID|MemberID|RaftTerm)\" : \\d+")]
    private static partial Regex FieldsIds();

    [GeneratedRegex("\"(version)\":\"[^\"]*\"")]
    private static partial Regex Version();

    [GeneratedRegex("\"(dbSize|dbSizeInUse|db_size|db_size_in_use)\":\\d+")]
    private static partial Regex DbSize();

    [GeneratedRegex(@"(?m)^\{""level"".*""ts"":""[^""]*"",|^\d{4}[-/]\d\d[-/]\d\d[ T][\d:.]+Z?\s*")]
    private static partial Regex Timestamp();

    /// <summary>Records the lease id etcdctl printed ("lease 694d… granted with TTL(60s)") as <paramref name="name"/> for later commands and normalising.</summary>
    public static string RememberLease(ServerProcess server, string name, Ctl.Result grant)
    {
        var m = LeaseGranted().Match(grant.Out);
        Assert.True(m.Success, $"{server}: {grant}");
        server.Vars[name] = m.Groups[1].Value;
        return m.Groups[1].Value;
    }

    [GeneratedRegex(@"lease ([0-9a-f]+) granted")]
    private static partial Regex LeaseGranted();

    /// <summary>The header revision of <c>etcdctl get -w json</c>.</summary>
    public static async Task<long> RevisionAsync(ServerProcess server)
    {
        var r = await Ctl.RunAsync(server.Url, "get", "rev-probe", "-w", "json");
        var m = Regex.Match(r.Out, "\"revision\":(\\d+)");
        Assert.True(m.Success, r.ToString());
        return long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
