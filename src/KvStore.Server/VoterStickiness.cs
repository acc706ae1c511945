using System.Net;
using System.Runtime.CompilerServices;
using DotNext.Diagnostics;
using DotNext.Net.Cluster.Consensus.Raft;
using Microsoft.Extensions.Logging;

namespace KvStore.Server;

/// <summary>
/// etcd's voter rule on DotNext: a member grants a (pre-)vote once the base election timeout has passed since it last
/// heard from a leader, not its own randomized one (docs/robustness.md, "Recovery after a leader's death or pause").
/// <see cref="Release"/> moves DotNext's private last-heard moment back by the difference (a heartbeat arriving
/// meanwhile wins); Raft's safety rests on terms and log checks only. Test: VoterStickinessTests.
/// </summary>
internal static partial class VoterStickiness
{
    /// <summary>
    /// Grants (pre-)votes from the base election timeout on, looking every tenth of it (so at most that much later),
    /// while this member does not lead; tells <paramref name="leaderSilent"/> the leader it stopped hearing from (a
    /// (pre-)vote to a stopped leader would only wait out its deadline). Test: VoterStickinessTests.
    /// </summary>
    public static async Task RunAsync(RaftCluster cluster, TimeSpan baseTimeout, Func<bool> isLeader, Action<EndPoint> leaderSilent,
        ILogger logger, CancellationToken token)
    {
        if (!Supported(cluster))
        {
            Log.Unsupported(logger);
            return;
        }
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(5, (int)baseTimeout.TotalMilliseconds / 10)));
        while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
        {
            if (isLeader() || !Release(cluster, baseTimeout)) continue;
            Log.VotesGranted(logger, baseTimeout.TotalMilliseconds);
            if (cluster.Leader is { IsRemote: true } leader) leaderSilent(leader.EndPoint);
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "lastUpdated")]
    private static extern ref Timestamp LastHeardFromLeader(RaftCluster<RaftClusterMember> cluster);

    /// <summary>
    /// Whether this DotNext build has the field (6.12 does; <c>VoterStickinessTests</c> checks it): without it the
    /// member keeps DotNext's own rule.
    /// </summary>
    public static bool Supported(RaftCluster cluster)
    {
        try
        {
            _ = LastHeardFromLeader(cluster);
            return true;
        }
        catch (MissingFieldException)
        {
            return false;
        }
    }

    /// <summary>
    /// When <paramref name="baseTimeout"/> has passed since <paramref name="cluster"/> last heard from a leader but
    /// its own election timeout has not, makes its (pre-)vote checks pass from now on; true if it did.
    /// </summary>
    public static bool Release(RaftCluster cluster, TimeSpan baseTimeout)
    {
        ref long ticks = ref Unsafe.As<Timestamp, long>(ref LastHeardFromLeader(cluster));
        long seen = Volatile.Read(ref ticks);
        Timestamp last = Unsafe.As<long, Timestamp>(ref seen);
        if (last.IsEmpty) return false; // never heard from a leader: DotNext grants already
        TimeSpan silent = last.Elapsed, own = cluster.ElectionTimeout;
        if (silent < baseTimeout || silent >= own) return false;
        Timestamp moved = last - (own - baseTimeout);
        if (moved.IsEmpty) return false;
        long desired = Unsafe.As<Timestamp, long>(ref moved);
        return Interlocked.CompareExchange(ref ticks, desired, seen) == seen;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "no word from a leader for {BaseTimeoutMs} ms: granting (pre-)votes")]
        public static partial void VotesGranted(ILogger logger, double baseTimeoutMs);

        [LoggerMessage(Level = LogLevel.Warning,
            Message = "this DotNext build has no last-heard-from-leader field: votes follow DotNext's own timeout")]
        public static partial void Unsupported(ILogger logger);
    }
}
