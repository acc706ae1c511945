using KvStore.Robustness.Checkers;
using KvStore.Robustness.Harness;
using KvStore.Robustness.Traffic;

namespace KvStore.Robustness.Tests;

/// <summary>
/// The checker must catch a run whose "linearizable" reads were really serializable reads on a follower that missed
/// writes: the follower is paused while the others take a write, then read (serializable) the moment it resumes, and
/// the read is recorded as if it were linearizable.
/// </summary>
public sealed class PausedFollowerReadTests
{
    private const string Key = "stale/key";
    private const int Rounds = 10;

    [Fact]
    public async Task Serializable_reads_on_a_paused_follower_recorded_as_linearizable_are_caught()
    {
        await using ClusterTarget target = await ClusterTarget.StartAsync("kvstore", 3, []);
        var members = target.ClientUrls.Select((url, i) => new MemberChannel(i, url)).ToList();
        try
        {
            await ClusterProbe.WaitHealthyAsync(target, members, TimeSpan.FromSeconds(90));
            int leader = await ClusterProbe.LeaderAsync(target, members) ?? throw new InvalidOperationException("no leader");
            int follower = (leader + 1) % 3;
            var recorder = new HistoryRecorder();
            var writer = new RecordingClient(0, [members[leader]], recorder, TimeSpan.FromSeconds(5));

            for (int round = 0; round < Rounds; round++)
            {
                target.Pause(follower);
                long paused = Clock.Now;
                Assert.NotNull(await writer.SendAsync(new PutRequest(Key, $"v{round}")));
                target.Resume(follower);
                recorder.Add(new FaultRecord(FaultKinds.Pause, follower, paused, Clock.Now) { RecoveryFrom = Clock.Now });
                await ReadAsLinearizableAsync(members[follower], recorder);
            }

            var history = recorder.Build("kvstore", 0, "stale-follower-reads", 3, target.ElectionTimeoutMs, []);
            int stale = StaleReads(history);
            Assert.True(stale > 0, "no read came back stale: the follower caught up before every read, so the check has nothing to catch");
            CheckReport check = Checks.Run(history);
            Assert.False(check.Ok, $"{stale} stale reads of {Rounds} went unnoticed:\n{check}");
            Assert.Contains(check.Violations, v => v.Kind == "stale-read" && v.Excerpt.Contains(Key, StringComparison.Ordinal));
        }
        finally
        {
            foreach (MemberChannel m in members) m.Dispose();
        }
    }

    /// <summary>A serializable range on the follower, recorded as the linearizable get the run pretends it was.</summary>
    private static async Task ReadAsLinearizableAsync(MemberChannel follower, HistoryRecorder recorder)
    {
        long invoke = Clock.Now;
        Response response = await Wire.SendAsync(follower, new RangeRequest(Key, Serializable: true), DateTime.UtcNow.AddSeconds(5));
        recorder.Add(new Operation
        {
            Client = 1, Id = recorder.NextId(), Request = new RangeRequest(Key), Invoke = invoke, Return = Clock.Now,
            Outcome = Outcome.Ok, Response = response, Endpoint = follower.Url,
        });
    }

    /// <summary>Reads that returned a value older than a put acknowledged before the read was sent.</summary>
    private static int StaleReads(RecordedHistory history)
    {
        var puts = history.Operations.Where(o => o.Request is PutRequest).ToList();
        return history.Operations.Where(o => o.Request is RangeRequest).Count(read =>
        {
            var latest = puts.Where(p => p.Return < read.Invoke).MaxBy(p => p.Return);
            string? seen = ((RangeResponse)read.Response!).Kvs.FirstOrDefault()?.Value;
            return latest is not null && seen != ((PutRequest)latest.Request).Value;
        });
    }
}
