using Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;

namespace KvStore.TestSupport;

/// <summary>What the cluster asks its members over the etcd v3 API (plain http client URLs): status, the leader.</summary>
public sealed partial class KvStoreCluster
{
    /// <summary>A gRPC channel to member <paramref name="i"/>'s client URL, kept until dispose.</summary>
    public GrpcChannel Channel(int i)
    {
        if (_options.ClientScheme != "http") throw new NotSupportedException("the cluster's RPC helpers speak plain http");
        lock (_channels)
        {
            return _channels[i] ??= GrpcChannel.ForAddress(ClientUrls[i], new GrpcChannelOptions { MaxReceiveMessageSize = null });
        }
    }

    /// <summary>Maintenance.Status of member <paramref name="i"/>, or null when it is down, paused or does not answer within 3 s.</summary>
    public async Task<StatusResponse?> TryStatusAsync(int i)
    {
        if (!IsRunning(i) || IsPaused(i)) return null;
        try
        {
            return await new Maintenance.MaintenanceClient(Channel(i)).StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(3));
        }
        catch (RpcException)
        {
            return null;
        }
    }

    /// <summary>The member that says it leads (Status: leader == its own id; the highest term wins), or null now.</summary>
    public async Task<int?> FindLeaderAsync(int? notThis = null)
    {
        int? leader = null;
        ulong term = 0;
        for (int i = 0; i < Size; i++)
        {
            if (i == notThis) continue;
            if (await TryStatusAsync(i) is { } s && s.Leader != 0 && s.Leader == s.Header.MemberId && s.RaftTerm >= term)
            {
                (leader, term) = (i, s.RaftTerm);
            }
        }
        return leader;
    }

    /// <summary>Waits until some running member (other than <paramref name="notThis"/>) leads; its index.</summary>
    public async Task<int> WaitForLeaderAsync(TimeSpan? timeout = null, int? notThis = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            if (await FindLeaderAsync(notThis) is { } leader) return leader;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("no leader\n" + Logs());
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Makes member <paramref name="i"/> the leader (Maintenance.MoveLeader to the one that leads, as `etcdctl
    /// move-leader` does) unless it leads already, and waits until it says it does; works on etcd and kvstore alike.
    /// </summary>
    public async Task MakeLeaderAsync(int i, TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        ulong target = (await TryStatusAsync(i))?.Header.MemberId ?? await MemberIdAsync(i);
        while (true)
        {
            int leader = await WaitForLeaderAsync(deadline - DateTime.UtcNow);
            if (leader == i) return;
            try
            {
                await new Maintenance.MaintenanceClient(Channel(leader))
                    .MoveLeaderAsync(new MoveLeaderRequest { TargetID = target }, deadline: DateTime.UtcNow.AddSeconds(10));
            }
            catch (RpcException)
            {
                // the leader changed meanwhile, or the transfer timed out: ask whoever leads now (or time out below)
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"member {i} did not become the leader\n" + Logs());
            await Task.Delay(100);
        }
    }

    /// <summary>The leader's index, waiting up to a minute for one.</summary>
    public int LeaderIndex() => WaitForLeaderAsync().GetAwaiter().GetResult();

    /// <summary>Member <paramref name="i"/>'s id, as the others' member list names it.</summary>
    public async Task<ulong> MemberIdAsync(int i)
    {
        int via = LiveMember(except: -1);
        MemberListResponse list = await new Etcdserverpb.Cluster.ClusterClient(Channel(via)).MemberListAsync(new MemberListRequest(), deadline: DateTime.UtcNow.AddSeconds(20));
        return list.Members.FirstOrDefault(m => m.PeerURLs.Contains(PeerUrls[i]))?.ID
            ?? throw new InvalidOperationException($"{Names[i]} ({PeerUrls[i]}) is not in the member list of {Names[via]}");
    }

    /// <summary>A running, unpaused member other than <paramref name="except"/>, to send cluster requests through.</summary>
    private int LiveMember(int except)
    {
        for (int i = 0; i < Size; i++)
        {
            if (i != except && IsRunning(i) && !IsPaused(i)) return i;
        }
        throw new InvalidOperationException("no live member\n" + Logs());
    }
}
