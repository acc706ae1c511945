using System.Text.Json;

namespace KvStore.Membership.Tests;

/// <summary>Runs the real etcdctl 3.4 (ETCDCTL_API=3); a test using it fails when etcdctl is not installed.</summary>
public static class Ctl
{
    public static Task<(int Exit, string Out, string Err)> RunAsync(string endpoints, params string[] args) =>
        Etcdctl.RunAsync(endpoints, ["--command-timeout=30s", .. args]);

    /// <summary>Runs etcdctl and asserts success.</summary>
    public static async Task<string> OkAsync(string endpoints, params string[] args)
    {
        var r = await RunAsync(endpoints, args);
        Assert.True(r.Exit == 0, $"etcdctl {string.Join(' ', args)} failed: {r}");
        return r.Out;
    }

    /// <summary>`endpoint status -w json` per endpoint: (endpoint, member id, leader id, raft index).</summary>
    public static async Task<List<(string Endpoint, ulong Id, ulong Leader, ulong RaftIndex)>> StatusAsync(string endpoints, bool cluster = false)
    {
        var args = new List<string> { "endpoint", "status", "-w", "json" };
        if (cluster) args.Add("--cluster");
        string json = await OkAsync(endpoints, [.. args]);
        using var doc = JsonDocument.Parse(json);
        var result = new List<(string, ulong, ulong, ulong)>();
        foreach (JsonElement e in doc.RootElement.EnumerateArray())
        {
            JsonElement status = e.GetProperty("Status");
            // etcdctl leaves out a field that is 0: "leader" while no leader is known yet (a member just started)
            result.Add((e.GetProperty("Endpoint").GetString()!, status.GetProperty("header").GetProperty("member_id").GetUInt64(),
                status.TryGetProperty("leader", out JsonElement l) ? l.GetUInt64() : 0,
                status.TryGetProperty("raftIndex", out JsonElement ri) ? ri.GetUInt64() : 0));
        }
        return result;
    }

    /// <summary>`member list -w json`: (id, name, peer URLs, client URLs).</summary>
    public static async Task<List<(ulong Id, string Name, string[] PeerUrls, string[] ClientUrls)>> MembersAsync(string endpoints)
    {
        string json = await OkAsync(endpoints, "member", "list", "-w", "json");
        using var doc = JsonDocument.Parse(json);
        var result = new List<(ulong, string, string[], string[])>();
        foreach (JsonElement m in doc.RootElement.GetProperty("members").EnumerateArray())
        {
            string[] Urls(string p) => m.TryGetProperty(p, out JsonElement a) ? a.EnumerateArray().Select(u => u.GetString()!).ToArray() : [];
            result.Add((m.GetProperty("ID").GetUInt64(), m.TryGetProperty("name", out JsonElement n) ? n.GetString()! : "", Urls("peerURLs"), Urls("clientURLs")));
        }
        return result;
    }
}
