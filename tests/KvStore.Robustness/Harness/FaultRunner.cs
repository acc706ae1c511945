using KvStore.Robustness.History;
using KvStore.Robustness.Traffic;

namespace KvStore.Robustness.Harness;

/// <summary>
/// Injects one fault at a time, from a seeded schedule, until <c>stopAt</c> and the end of the round then in progress:
/// a random pause of 1 to 3 s between faults, then the next kind of a shuffled round of the list (every kind comes once
/// before any comes again, and every kind comes at least once however slowly a fault recovers) and its member (the
/// leader, or a random one). Every fault ends with all members
/// running again, so a quorum is only ever short one member. Each is recorded as a <see cref="FaultRecord"/>.
/// </summary>
public sealed class FaultRunner(ClusterTarget target, IReadOnlyList<MemberChannel> members, HistoryRecorder recorder, Random random, TextWriter log)
{
    /// <summary>Set when a fault's member did not serve again; the schedule stopped there.</summary>
    public string? Failed { get; private set; }

    public async Task RunAsync(IReadOnlyList<string> kinds, DateTime stopAt)
    {
        if (kinds.Count == 0) return;
        var pending = new List<string>();
        bool started = false;
        while (true)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(1000 + random.Next(2000))).ConfigureAwait(false);
            // A 20 s run in a loaded full suite once ended inside its first round: kill-leader came, pause never did
            // (ShortRunTests, which expects every kind).
            if (DateTime.UtcNow >= stopAt && pending.Count == 0 && started) return;
            if (pending.Count == 0) pending.AddRange(kinds.OrderBy(_ => random.Next()));
            started = true;
            string kind = pending[^1];
            pending.RemoveAt(pending.Count - 1);
            long start = Clock.Now;
            FaultRecord fault;
            try
            {
                fault = await InjectAsync(kind).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or global::Grpc.Core.RpcException
                or HttpRequestException)
            {
                // A member that does not come back is a finding: recorded, and no further faults on a cluster short of it.
                Failed = $"{kind} did not recover: {e.Message}";
                recorder.Add(new FaultRecord(kind, -1, start, Clock.Now, ToolArguments.FailedFault + e.Message));
                await log.WriteLineAsync($"fault {Failed}").ConfigureAwait(false);
                return;
            }
            recorder.Add(fault);
            await log.WriteLineAsync($"fault {fault.Kind} on {target.MemberNames[Math.Max(0, fault.Member)]}: " +
                $"{(fault.End - fault.Start) / 1_000_000} ms").ConfigureAwait(false);
        }
    }

    private async Task<FaultRecord> InjectAsync(string kind)
    {
        bool leader = kind is FaultKinds.KillLeader or FaultKinds.PauseLeader or FaultKinds.PartitionLeader;
        int member = await PickAsync(leader, follower: kind == FaultKinds.RestartSnapshot).ConfigureAwait(false);
        int electionMs = target.ElectionTimeoutMs;
        long start = Clock.Now;
        switch (kind)
        {
            case FaultKinds.Pause or FaultKinds.PauseLeader:
            {
                int ms = electionMs * 3 / 2 + random.Next(electionMs * 3 / 2);
                return await HoldAsync(kind, member, ms, () => target.Pause(member), () => target.Resume(member), $"{ms} ms").ConfigureAwait(false);
            }
            case FaultKinds.Partition or FaultKinds.PartitionLeader:
            {
                int ms = electionMs * 3 / 2 + random.Next(electionMs * 3 / 2);
                return await HoldAsync(kind, member, ms, () => target.Partition(member), () => target.Heal(member), $"cut from the others {ms} ms")
                    .ConfigureAwait(false);
            }
            case FaultKinds.Delay:
            {
                int delayMs = 100 + random.Next(300), ms = 2000 + random.Next(2000);
                return await HoldAsync(kind, member, ms, () => target.Delay(member, delayMs), () => target.Delay(member, 0),
                    $"{delayMs} ms each way for {ms} ms").ConfigureAwait(false);
            }
            case FaultKinds.RemoveReadd:
            {
                await target.RemoveAsync(member).ConfigureAwait(false);
                long removed = Clock.Now;
                await Task.Delay(500 + random.Next(1000)).ConfigureAwait(false);
                await target.AddBackAsync(member).ConfigureAwait(false);
                return new FaultRecord(kind, member, start, Clock.Now, $"removed {(removed - start) / 1_000_000} ms after the start, then added back empty");
            }
            case FaultKinds.DiskFull:
            {
                long filled = target.FillDisk(member);
                await Task.Delay(2000 + random.Next(2000)).ConfigureAwait(false);
                target.FreeDisk(member);
                long end = Clock.Now;
                bool died = !target.IsRunning(member);
                if (died) await target.RestartAsync(member).ConfigureAwait(false);
                return new FaultRecord(kind, member, start, Clock.Now, $"{filled >> 20} MiB filler{(died ? "; the member exited and was restarted" : "")}") { RecoveryFrom = end };
            }
            case FaultKinds.SlowSave:
            {
                int delayMs = 100 + random.Next(300), ms = 2000 + random.Next(2000);
                string role = await RoleAsync(member).ConfigureAwait(false);
                return await HoldAsync(kind, member, ms, () => target.SetFailpointAsync(member, "raftBeforeSave", $"sleep({delayMs})"),
                    () => target.SetFailpointAsync(member, "raftBeforeSave", "off"), $"{role}: each Raft log write held {delayMs} ms for {ms} ms")
                    .ConfigureAwait(false);
            }
            case FaultKinds.CrashSave:
            {
                string point = random.Next(2) == 0 ? "raftBeforeSave" : "raftAfterSave";
                string role = await RoleAsync(member).ConfigureAwait(false);
                await target.SetFailpointAsync(member, point, "panic").ConfigureAwait(false);
                // Every member writes its log while the traffic writes; a member that reached no write meanwhile is a finding.
                if (!await target.WaitForExitAsync(member, TimeSpan.FromSeconds(20)).ConfigureAwait(false))
                {
                    throw new InvalidOperationException($"{target.MemberNames[member]} did not reach {point} within 20 s");
                }
                long died = Clock.Now;
                int downMs = 200 + random.Next(1000);
                await Task.Delay(downMs).ConfigureAwait(false);
                await target.RestartAsync(member).ConfigureAwait(false);
                return new FaultRecord(kind, member, start, Clock.Now,
                    $"{role}: died at {point} {(died - start) / 1_000_000} ms after it was armed, down {downMs} ms, then restarted") { RecoveryFrom = died };
            }
            default:
            {
                int downMs = kind == FaultKinds.RestartSnapshot ? 3000 + random.Next(2000) : 200 + random.Next(1000);
                target.Kill(member);
                await Task.Delay(downMs).ConfigureAwait(false);
                await target.RestartAsync(member).ConfigureAwait(false);
                return new FaultRecord(kind, member, start, Clock.Now, $"down {downMs} ms, then restarted") { RecoveryFrom = start };
            }
        }
    }

    /// <summary>A fault that lasts <paramref name="ms"/> from <paramref name="begin"/> to <paramref name="end"/>; recovery counts from its end.</summary>
    private static Task<FaultRecord> HoldAsync(string kind, int member, int ms, Action begin, Action end, string detail) =>
        HoldAsync(kind, member, ms, () =>
        {
            begin();
            return Task.CompletedTask;
        }, () =>
        {
            end();
            return Task.CompletedTask;
        }, detail);

    private static async Task<FaultRecord> HoldAsync(string kind, int member, int ms, Func<Task> begin, Func<Task> end, string detail)
    {
        long start = Clock.Now;
        await begin().ConfigureAwait(false);
        await Task.Delay(ms).ConfigureAwait(false);
        await end().ConfigureAwait(false);
        long ended = Clock.Now;
        return new FaultRecord(kind, member, start, ended, detail) { RecoveryFrom = ended };
    }

    /// <summary>"the leader" or "a follower": which <paramref name="member"/> was as a fault began ("no leader found" when none answered).</summary>
    private async Task<string> RoleAsync(int member) => await ClusterProbe.LeaderAsync(target, members).ConfigureAwait(false) switch
    {
        null => "no leader found",
        int l when l == member => "the leader",
        _ => "a follower",
    };

    /// <summary>The leader when asked for (a random member when none is found), else a random member (a follower if asked).</summary>
    private async Task<int> PickAsync(bool leader, bool follower)
    {
        int? current = leader || follower ? await ClusterProbe.LeaderAsync(target, members).ConfigureAwait(false) : null;
        if (leader && current is { } l) return l;
        if (follower && current is { } f) return (f + 1 + random.Next(target.Size - 1)) % target.Size;
        return random.Next(target.Size);
    }
}
