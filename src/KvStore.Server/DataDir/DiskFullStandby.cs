using DotNext.Net.Cluster.Consensus.Raft;

namespace KvStore.Server.DataDir;

/// <summary>
/// A member whose disk is full stands by (steps down if it leads, never stands for election) so that one of the
/// others leads and the cluster takes writes; as a follower it refuses entries (RaftLog.HasRoom) until space
/// returns, then stands by no more. A single member keeps leading (it only refuses writes). Tested by
/// DiskFullTests.FullLeaderStepsDownTheOthersGoOnAndItCatchesUpWhenSpaceReturns (KvStore.Cluster.Tests).
/// </summary>
internal sealed class DiskFullStandby(RaftCluster cluster)
{
    private readonly Lock _lock = new();
    private Task _last = Task.CompletedTask;

    /// <summary>Called by <see cref="DiskRoom"/> when room on the data dir's disks goes or returns; changes apply in order.</summary>
    public void OnRoomChanged(bool room)
    {
        if (cluster.Members.Count < 2) return;
        lock (_lock)
        {
            _last = _last.ContinueWith(async _ =>
            {
                try
                {
                    if (room) await cluster.RevertToNormalModeAsync(CancellationToken.None).ConfigureAwait(false);
                    else await cluster.EnableStandbyModeAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // stopping: nothing to change
                }
            }, TaskScheduler.Default).Unwrap();
        }
    }
}
