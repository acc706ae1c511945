using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using Grpc.Core;
using KvStore.Server.Transport;
using Kvstorepb;

namespace KvStore.Server.Replication;

/// <summary>
/// How a member reaches the leader with what it passes on (etcd's follower forwarding): the current leader, waiting
/// for one; the peer-port client of a member; the headers naming this member; how long to wait between tries.
/// </summary>
internal sealed class LeaderLink(RaftCluster cluster, LeaderWatch watch, PeerClients clients, Func<Metadata> headers, int heartbeatMs)
{
    /// <summary>The current leader (this member or another), null while there is none.</summary>
    public RaftClusterMember? Leader => cluster.Leader;

    /// <summary>Whether this member leads.</summary>
    public bool IsLeader => cluster.Leader is { IsRemote: false };

    /// <summary>Leader changes as a task and a token.</summary>
    public LeaderWatch Watch => watch;

    /// <summary>The Raft voters as DotNext knows them (this member included).</summary>
    public IEnumerable<RaftClusterMember> Members => cluster.Members;

    /// <summary>The voter at a Raft end point; null when it is not one (yet).</summary>
    public RaftClusterMember? Voter(EndPoint endPoint) => cluster.Members.FirstOrDefault(c => c.EndPoint.Equals(endPoint));

    /// <summary>How often a follower tries a leader again when nothing wakes it sooner (a leader change does): a heartbeat.</summary>
    public TimeSpan RetryInterval { get; } = TimeSpan.FromMilliseconds(Math.Clamp(heartbeatMs, 10, 100));

    /// <summary>The cluster and member id every call to another member's peer port carries (<see cref="PeerService"/> checks them).</summary>
    public Metadata Headers => headers();

    /// <summary>The peer-port client of a member (<see cref="PeerClients"/>).</summary>
    public Forward.ForwardClient Client(RaftClusterMember member) => clients.For(member.EndPoint);

    /// <summary>The peer-port client of the member at a Raft end point.</summary>
    public Forward.ForwardClient Client(EndPoint endPoint) => clients.For(endPoint);

    /// <summary>The current leader, waiting for one until <paramref name="deadline"/> (null then).</summary>
    public async Task<RaftClusterMember?> WaitForLeaderAsync(DateTime deadline, CancellationToken token)
    {
        while (true)
        {
            Task changed = watch.Changed;
            if (cluster.Leader is { } leader) return leader;
            TimeSpan left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) return null;
            await LeaderWatch.WaitAsync(changed, left < RetryInterval ? left : RetryInterval, token).ConfigureAwait(false);
        }
    }

    /// <summary>A call that failed to connect (TCP connect refused or timed out): the request never left this member.</summary>
    public static bool NeverSent(RpcException e) =>
        e.StatusCode == StatusCode.Unavailable && e.Status.DebugException switch
        {
            // grpc-dotnet's own connect (its subchannel) or the HTTP handler's connect
            System.Net.Sockets.SocketException => e.Status.Detail.StartsWith("Error connecting to subchannel", StringComparison.Ordinal),
            HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError } => true,
            _ => false,
        };
}
