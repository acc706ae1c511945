using Grpc.Core;
using KvStore.Robustness.Traffic;
using Rpc = Etcdserverpb;

namespace KvStore.Robustness.Harness;

/// <summary>Questions the harness asks the cluster outside the recorded history: who leads, is everyone serving.</summary>
public static class ClusterProbe
{
    /// <summary>The running, unpaused member that says it leads (Maintenance.Status leader == its own id), or null.</summary>
    public static async Task<int?> LeaderAsync(ClusterTarget target, IReadOnlyList<MemberChannel> members)
    {
        (int Member, ulong Term)? best = null;
        for (int i = 0; i < target.Size; i++)
        {
            if (!target.IsRunning(i) || target.IsPaused(i)) continue;
            try
            {
                var s = await members[i].Maintenance.StatusAsync(new Rpc.StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(1)).ConfigureAwait(false);
                if (s.Leader != 0 && s.Leader == s.Header.MemberId && (best is null || s.RaftTerm > best.Value.Term)) best = (i, s.RaftTerm);
            }
            catch (RpcException)
            {
            }
        }
        return best?.Member;
    }

    /// <summary>Until every member answers a linearizable read (a leader exists and every member reaches it).</summary>
    public static async Task WaitHealthyAsync(ClusterTarget target, IReadOnlyList<MemberChannel> members, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            string? failing = null;
            foreach (MemberChannel m in members)
            {
                try
                {
                    await m.Kv.RangeAsync(new Rpc.RangeRequest { Key = Wire.Bytes("health") }, deadline: DateTime.UtcNow.AddSeconds(2)).ConfigureAwait(false);
                }
                catch (RpcException e)
                {
                    failing = $"{target.MemberNames[m.Member]}: {e.StatusCode} {e.Status.Detail}";
                    break;
                }
            }
            if (failing is null) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the cluster did not get healthy: {failing}\n{target.Logs()}");
            await Task.Delay(200).ConfigureAwait(false);
        }
    }
}
