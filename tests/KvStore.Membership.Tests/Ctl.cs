using System.Diagnostics;
using System.Text.Json;

namespace KvStore.Membership.Tests;

/// <summary>Runs the real etcdctl 3.4 (ETCDCTL_API=3); a test using it fails when etcdctl is not installed.</summary>
public static class Ctl
{
    public sealed record Result(int Exit, string Out, string Err)
    {
        public override string ToString() => $"exit {Exit}\n{Out}\n[stderr] {Err}";
    }

    public static async Task<Result> RunAsync(string endpoints, params string[] args)
    {
        var psi = new ProcessStartInfo("etcdctl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["ETCDCTL_API"] = "3";
        foreach (string key in psi.Environment.Keys.Where(k => k.StartsWith("ETCDCTL_", StringComparison.Ordinal) && k != "ETCDCTL_API").ToList()) psi.Environment.Remove(key);
        psi.ArgumentList.Add("--endpoints=" + endpoints);
        psi.ArgumentList.Add("--command-timeout=30s");
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
            return new Result(-1, await stdout, await stderr + "\n(killed after 90 s)");
        }
        return new Result(p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs etcdctl and asserts success.</summary>
    public static async Task<string> OkAsync(string endpoints, params string[] args)
    {
        Result r = await RunAsync(endpoints, args);
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
            result.Add((e.GetProperty("Endpoint").GetString()!, status.GetProperty("header").GetProperty("member_id").GetUInt64(),
                status.GetProperty("leader").GetUInt64(), status.TryGetProperty("raftIndex", out JsonElement ri) ? ri.GetUInt64() : 0));
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
