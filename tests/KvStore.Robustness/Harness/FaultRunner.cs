using KvStore.Robustness.History;
using KvStore.Robustness.Traffic;

namespace KvStore.Robustness.Harness;

/// <summary>
/// Injects one fault at a time, from a seeded schedule, until <c>stopAt</c>: a random pause of 1 to 3 s between
/// faults, then the next kind of a shuffled round of the list (every kind comes once before any comes again) and its
/// member (the leader, or a random one). Every fault ends with all members
/// running again, so a quorum is only ever short one member. Each is recorded as a <see cref="FaultRecord"/>.
/// </summary>
public sealed class FaultRunner(IClusterTarget target, IReadOnlyList<MemberChannel> members, HistoryRecorder recorder, Random random, TextWriter log)
{
    public async Task RunAsync(IReadOnlyList<string> kinds, DateTime stopAt)
    {
        if (kinds.Count == 0) return;
        var pending = new List<string>();
        while (true)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(1000 + random.Next(2000))).ConfigureAwait(false);
            if (DateTime.UtcNow >= stopAt) return;
            if (pending.Count == 0) pending.AddRange(kinds.OrderBy(_ => random.Next()));
            string kind = pending[^1];
            pending.RemoveAt(pending.Count - 1);
            FaultRecord fault = await InjectAsync(kind).ConfigureAwait(false);
            recorder.Add(fault);
            await log.WriteLineAsync($"fault {fault.Kind} on {target.MemberNames[Math.Max(0, fault.Member)]}: " +
                $"{(fault.End - fault.Start) / 1_000_000} ms").ConfigureAwait(false);
        }
    }

    private async Task<FaultRecord> InjectAsync(string kind)
    {
        bool leader = kind is FaultKinds.KillLeader or FaultKinds.PauseLeader;
        int member = await PickAsync(leader, follower: kind == FaultKinds.RestartSnapshot).ConfigureAwait(false);
        switch (kind)
        {
            case FaultKinds.Pause or FaultKinds.PauseLeader:
                int pauseMs = target.ElectionTimeoutMs * 3 / 2 + random.Next(target.ElectionTimeoutMs * 3 / 2);
                long paused = Clock.Now;
                target.Pause(member);
                await Task.Delay(pauseMs).ConfigureAwait(false);
                target.Resume(member);
                long resumed = Clock.Now;
                return new FaultRecord(kind, member, paused, resumed, $"{pauseMs} ms") { RecoveryFrom = resumed };
            default:
                int downMs = kind == FaultKinds.RestartSnapshot ? 3000 + random.Next(2000) : 200 + random.Next(1000);
                long killed = Clock.Now;
                target.Kill(member);
                await Task.Delay(downMs).ConfigureAwait(false);
                await target.RestartAsync(member).ConfigureAwait(false);
                return new FaultRecord(kind, member, killed, Clock.Now, $"down {downMs} ms, then restarted") { RecoveryFrom = killed };
        }
    }

    /// <summary>The leader when asked for (a random member when none is found), else a random member (a follower if asked).</summary>
    private async Task<int> PickAsync(bool leader, bool follower)
    {
        int? current = leader || follower ? await ClusterProbe.LeaderAsync(target, members).ConfigureAwait(false) : null;
        if (leader && current is { } l) return l;
        if (follower && current is { } f) return (f + 1 + random.Next(target.Size - 1)) % target.Size;
        return random.Next(target.Size);
    }
}
