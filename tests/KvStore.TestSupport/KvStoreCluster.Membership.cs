using Etcdserverpb;
using Grpc.Core;

namespace KvStore.TestSupport;

/// <summary>
/// Remove a member and add it back empty, as an operator replaces a member that lost its disk: MemberRemove through
/// a live member, its data dir wiped, MemberAdd with the same peer URL, a start with --initial-cluster-state existing.
/// </summary>
public sealed partial class KvStoreCluster
{
    private static readonly TimeSpan MembershipTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Removes member <paramref name="i"/> from the cluster (through another member), kills it and wipes its data dir.</summary>
    public async Task RemoveMemberAsync(int i)
    {
        ulong id = await MemberIdAsync(i);
        await RetryAsync(async via =>
        {
            try
            {
                await ClusterClient(via).MemberRemoveAsync(new MemberRemoveRequest { ID = id }, deadline: DateTime.UtcNow.AddSeconds(20));
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                // an earlier attempt that timed out did remove it
            }
        }, except: i, what: $"remove {Names[i]}");
        Kill(i);
        WipeDataDir(i);
    }

    /// <summary>
    /// Adds removed member <paramref name="i"/> back with its peer URL (MemberAdd through another member) and starts it
    /// empty with --initial-cluster-state existing; returns once it serves (it catches up from the leader).
    /// </summary>
    public async Task AddMemberBackAsync(int i)
    {
        if (IsRunning(i)) throw new InvalidOperationException($"{Names[i]} runs");
        MemberListResponse? members = null;
        await RetryAsync(async via =>
        {
            try
            {
                await ClusterClient(via).MemberAddAsync(new MemberAddRequest { PeerURLs = { PeerUrls[i] } }, deadline: DateTime.UtcNow.AddSeconds(20));
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition && e.Status.Detail.Contains("already exists", StringComparison.Ordinal))
            {
                // an earlier attempt that timed out did add it
            }
            members = await ClusterClient(via).MemberListAsync(new MemberListRequest(), deadline: DateTime.UtcNow.AddSeconds(20));
        }, except: i, what: $"add {Names[i]} back");
        _initialCluster[i] = string.Join(",", members!.Members.Select(m =>
            $"{(m.PeerURLs.Contains(PeerUrls[i]) ? Names[i] : m.Name)}={m.PeerURLs[0]}"));
        _clusterState[i] = "existing";
        Launch(i);
        WaitReady(i);
    }

    /// <summary>Deletes member <paramref name="i"/>'s data dir (it must not run).</summary>
    public void WipeDataDir(int i)
    {
        if (IsRunning(i)) throw new InvalidOperationException($"{Names[i]} runs");
        if (Directory.Exists(DataDir(i))) Directory.Delete(DataDir(i), recursive: true);
    }

    private Etcdserverpb.Cluster.ClusterClient ClusterClient(int i) => new(Channel(i));

    /// <summary>Runs <paramref name="call"/> through a live member other than <paramref name="except"/> until it succeeds (a leader change, an unhealthy cluster) or a minute passes.</summary>
    private async Task RetryAsync(Func<int, Task> call, int except, string what)
    {
        DateTime deadline = DateTime.UtcNow + MembershipTimeout;
        while (true)
        {
            int via = LiveMember(except);
            try
            {
                await call(via);
                return;
            }
            catch (RpcException e) when (DateTime.UtcNow < deadline)
            {
                _ = e;
                await Task.Delay(300);
            }
            catch (RpcException e)
            {
                throw new InvalidOperationException($"{what} through {Names[via]}: {e.Status}\n{Logs()}", e);
            }
        }
    }
}
