using System.Text.Json.Nodes;

namespace KvStore.Operations.Tests;

/// <summary>
/// --quota-backend-bytes of four pages (16 KiB, below both stores' size when empty): etcd 3.4 and kvstore both start,
/// the first write raises the NOSPACE alarm, and the same etcdctl commands then fail or succeed with the same
/// output (what etcd's quota charges for is refused; reads, read-only txns, deletes, compaction, defragment and the
/// alarm commands are not).
/// </summary>
public sealed class QuotaTests
{
    private static readonly (string[] Args, string? Stdin)[] Commands =
    [
        (["put", "a", "1"], null),
        (["get", "a"], null),
        (["txn"], "\n\n\n"),
        (["lease", "grant", "100"], null),
        (["alarm", "list"], null),
        (["put", "b", "1"], null),
        (["del", "a"], null),
        (["compact", "1"], null),
        (["alarm", "disarm"], null),
        (["alarm", "list"], null),
        (["put", "c", "1"], null),
        (["alarm", "list"], null),
    ];

    [Fact]
    public void A_quota_of_a_few_pages_starts_and_raises_NOSPACE_as_etcd_does()
    {
        string[] quota = ["--quota-backend-bytes", "16384"];
        List<string> etcd, kvstore;
        using (SingleMember member = SingleMember.StartEtcd(quota, tmpfs: true)) etcd = Run(member);
        using (SingleMember member = SingleMember.StartKvStore(quota, tmpfs: true)) kvstore = Run(member);
        for (int i = 0; i < etcd.Count; i++) Assert.True(etcd[i] == kvstore[i], $"etcd:    {etcd[i]}\nkvstore: {kvstore[i]}");
    }

    /// <summary>Each command's exit code, stdout and last stderr line, the member's own id replaced by ID; then Status's errors.</summary>
    private static List<string> Run(SingleMember member)
    {
        var status = JsonNode.Parse(Etcdctl.Run(member.Endpoint, ["endpoint", "status", "-w", "json"]).Out)!;
        string id = status[0]!["Status"]!["header"]!["member_id"]!.ToString();
        var answers = new List<string>();
        foreach ((string[] args, string? stdin) in Commands)
        {
            var r = Etcdctl.Run(member.Endpoint, args, stdin);
            string err = r.Err.Trim().Split('\n')[^1];
            answers.Add($"{string.Join(' ', args)} -> {r.Exit}|{r.Out.Trim()}|{(r.Exit == 0 ? "" : err)}".Replace(id, "ID", StringComparison.Ordinal));
        }
        Assert.Equal(1, Etcdctl.Run(member.Endpoint, ["put", "d", "1"]).Exit); // raises the alarm again
        var after = JsonNode.Parse(Etcdctl.Run(member.Endpoint, ["endpoint", "status", "-w", "json"]).Out)!;
        answers.Add("status errors: " + after[0]!["Status"]!["errors"]!.ToJsonString().Replace(id, "ID", StringComparison.Ordinal));
        answers.Add("db size over the quota: " + (after[0]!["Status"]!["dbSize"]!.GetValue<long>() > 16384));
        return answers;
    }
}
