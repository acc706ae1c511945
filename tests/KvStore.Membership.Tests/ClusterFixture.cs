namespace KvStore.Membership.Tests;

/// <summary>A three-member kvstore cluster of real processes (n1..n3); every member it started is killed on dispose.</summary>
public sealed class TestCluster : IAsyncDisposable
{
    public List<Member> Members { get; } = [];

    public string InitialCluster => string.Join(",", Members.Select(m => $"{m.Name}={m.PeerUrl}"));

    /// <summary>All client endpoints, comma-separated, for etcdctl.</summary>
    public string Endpoints => string.Join(",", Members.Select(m => m.Endpoint));

    public static async Task<TestCluster> StartAsync(int size = 3)
    {
        var cluster = new TestCluster();
        try
        {
            for (int i = 1; i <= size; i++) cluster.Members.Add(new Member("n" + i));
            string initial = cluster.InitialCluster;
            await Task.WhenAll(cluster.Members.Select(m => m.StartAsync(initial, "new")));
            await cluster.LeaderAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The member every member names as leader (waits until they agree).</summary>
    public async Task<Member> LeaderAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var status = await Ctl.StatusAsync(Endpoints);
            ulong leader = status.Count == Members.Count && status.All(s => s.Leader == status[0].Leader) ? status[0].Leader : 0;
            if (leader != 0 && status.FirstOrDefault(s => s.Id == leader).Endpoint is { } endpoint)
            {
                return Members.First(m => m.Endpoint == endpoint);
            }
            Assert.True(DateTime.UtcNow < deadline, "no agreed leader: " + string.Join("; ", status));
            await Task.Delay(500);
        }
    }

    /// <summary>Polls until <paramref name="condition"/> holds (fails after <paramref name="seconds"/>).</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            await Task.Delay(500);
        }
    }

    public ValueTask DisposeAsync()
    {
        foreach (Member m in Members) m.Dispose();
        return ValueTask.CompletedTask;
    }
}
