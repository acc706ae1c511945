using System.Text.Json;

namespace KvStore.Server.Tests;

/// <summary>
/// Three real kvstore processes (the built kvstore.dll) on free loopback ports, driven by etcdctl 3.4 against a
/// follower: what an operator sees. Every process is killed at the end.
/// </summary>
public class ProcessClusterTests
{
    [Fact]
    public async Task EtcdctlAgainstAFollowerOfThreeProcesses()
    {
        string root = Path.Combine(Path.GetTempPath(), "kvstore-server-tests", Guid.NewGuid().ToString("N"));
        int[] peer = [Ports.Free(), Ports.Free(), Ports.Free()];
        int[] client = [Ports.Free(), Ports.Free(), Ports.Free()];
        string initial = string.Join(",", Enumerable.Range(0, 3).Select(i => $"p{i}=http://127.0.0.1:{peer[i]}"));
        var members = new List<ChildProcess>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                members.Add(ChildProcess.KvStore(["--name", $"p{i}", "--data-dir", Path.Combine(root, $"p{i}"),
                    "--initial-cluster", initial, "--initial-cluster-token", "fwd-process-test",
                    "--listen-peer-urls", $"http://127.0.0.1:{peer[i]}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peer[i]}",
                    "--listen-client-urls", $"http://127.0.0.1:{client[i]}", "--advertise-client-urls", $"http://127.0.0.1:{client[i]}",
                    "--heartbeat-interval", "50", "--election-timeout", "500"]));
            }
            foreach (ChildProcess m in members)
            {
                Assert.True(await m.WaitForLineAsync(SingleMember.ReadyLine, TimeSpan.FromSeconds(120)), $"kvstore did not get ready:\n{m.Output}");
            }
            string all = string.Join(",", client.Select(p => $"http://127.0.0.1:{p}"));

            // endpoint status --cluster from any member lists all three (member list gives the client URLs), one leader
            JsonElement[] statuses = [];
            for (DateTime deadline = DateTime.UtcNow.AddSeconds(60); ; await Task.Delay(200))
            {
                var (code, output) = await EtcdctlAsync($"http://127.0.0.1:{client[0]}", "endpoint", "status", "--cluster", "-w", "json");
                if (code == 0)
                {
                    statuses = JsonDocument.Parse(output).RootElement.EnumerateArray().ToArray();
                    // etcdctl leaves "leader" out while it is 0 (no leader known yet)
                    ulong[] named = statuses.Select(s => s.GetProperty("Status").TryGetProperty("leader", out JsonElement l) ? l.GetUInt64() : 0).ToArray();
                    if (statuses.Length == 3 && named[0] != 0 && named.Distinct().Count() == 1) break;
                }
                Assert.True(DateTime.UtcNow < deadline, $"endpoint status --cluster: {output}");
            }
            ulong leader = statuses[0].GetProperty("Status").GetProperty("leader").GetUInt64();
            Assert.NotEqual(0UL, leader);
            string follower = statuses.First(s => s.GetProperty("Status").GetProperty("header").GetProperty("member_id").GetUInt64() != leader)
                .GetProperty("Endpoint").GetString()!;
            string other = statuses.First(s => s.GetProperty("Endpoint").GetString() != follower
                && s.GetProperty("Status").GetProperty("header").GetProperty("member_id").GetUInt64() != leader).GetProperty("Endpoint").GetString()!;

            var (listCode, list) = await EtcdctlAsync(follower, "member", "list", "-w", "json");
            Assert.True(listCode == 0, list);
            var listed = JsonDocument.Parse(list).RootElement.GetProperty("members").EnumerateArray().ToArray();
            Assert.Equal(3, listed.Length);
            Assert.All(listed, m => Assert.Single(m.GetProperty("clientURLs").EnumerateArray()));

            // a put on one follower, a linearizable get on the other
            Assert.Equal((0, "OK\n"), await EtcdctlAsync(follower, "put", "fk", "fv"));
            Assert.Equal((0, "fk\nfv\n"), await EtcdctlAsync(other, "get", "fk"));

            // lease grant and keep-alive through a follower
            var (grantCode, grant) = await EtcdctlAsync(follower, "lease", "grant", "30");
            Assert.True(grantCode == 0, grant);
            string leaseId = grant.Split(' ')[1];
            var (keepCode, keep) = await EtcdctlAsync(follower, "lease", "keep-alive", "--once", leaseId);
            Assert.True(keepCode == 0 && keep.Contains("TTL(30)", StringComparison.Ordinal), keep);
            Assert.Equal(0, (await EtcdctlAsync(follower, "put", "leased", "x", "--lease", leaseId)).Code);

            // kill the leader: the two survivors elect another and keep taking writes
            int leaderIndex = Array.FindIndex(statuses, s => s.GetProperty("Status").GetProperty("header").GetProperty("member_id").GetUInt64() == leader);
            string leaderEndpoint = statuses[leaderIndex].GetProperty("Endpoint").GetString()!;
            int leaderProcess = Array.FindIndex(client, p => leaderEndpoint.EndsWith($":{p}", StringComparison.Ordinal));
            members[leaderProcess].KillHard();
            string survivors = string.Join(",", client.Where((_, i) => i != leaderProcess).Select(p => $"http://127.0.0.1:{p}"));
            for (DateTime deadline = DateTime.UtcNow.AddSeconds(60); ; await Task.Delay(200))
            {
                var (code, output) = await EtcdctlAsync(follower, "put", "after", "kill");
                if (code == 0) break;
                Assert.True(DateTime.UtcNow < deadline, "no write after the leader was killed: " + output);
            }
            Assert.Equal((0, "after\nkill\n"), await EtcdctlAsync(other, "get", "after"));
            var (statusCode, status) = await EtcdctlAsync(survivors, "endpoint", "status", "-w", "json");
            Assert.True(statusCode == 0, status);
            var leaders = JsonDocument.Parse(status).RootElement.EnumerateArray().Select(s => s.GetProperty("Status").GetProperty("leader").GetUInt64()).Distinct().ToArray();
            Assert.Single(leaders);
            Assert.NotEqual(leader, leaders[0]);
            Assert.NotEqual(0UL, leaders[0]);
        }
        finally
        {
            foreach (ChildProcess p in members) p.Dispose();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<(int Code, string Output)> EtcdctlAsync(string endpoints, params string[] args)
    {
        var r = await Etcdctl.RunAsync(endpoints, ["--command-timeout=15s", .. args]);
        return r.Exit == 0 ? (0, r.Out) : (r.Exit, r.Out + r.Err);
    }
}
