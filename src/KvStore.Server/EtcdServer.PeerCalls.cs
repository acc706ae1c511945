using DotNext.Net.Cluster.Consensus.Raft;
using Etcdserverpb;
using Grpc.Core;
using KvStore.Server.Replication;
using Kvstorepb;

namespace KvStore.Server;

/// <summary>
/// Membership changes on any member and the stand-by of a leader transfer: the leader runs a change itself; a
/// follower passes it to the leader's peer port (etcd's followers propose conf changes through Raft), so no
/// member-to-member call goes through a client URL.
/// </summary>
public sealed partial class EtcdServer
{
    /// <summary>etcd's AddMember: a new voting member with these peer URLs and no name until it starts.</summary>
    public Task<MembershipResult> AddMemberAsync(IReadOnlyList<string> peerUrls, bool isLearner, CancellationToken cancellationToken)
    {
        var add = new MemberAddRequest { IsLearner = isLearner };
        add.PeerURLs.AddRange(peerUrls);
        return ChangeMembershipAsync(new MembershipChange { Add = add }, cancellationToken);
    }

    /// <summary>etcd's RemoveMember.</summary>
    public Task<MembershipResult> RemoveMemberAsync(ulong id, CancellationToken cancellationToken) =>
        ChangeMembershipAsync(new MembershipChange { Remove = new MemberRemoveRequest { ID = id } }, cancellationToken);

    /// <summary>etcd's UpdateMember: new peer URLs for a member.</summary>
    public Task<MembershipResult> UpdateMemberAsync(ulong id, IReadOnlyList<string> peerUrls, CancellationToken cancellationToken)
    {
        var update = new MemberUpdateRequest { ID = id };
        update.PeerURLs.AddRange(peerUrls);
        return ChangeMembershipAsync(new MembershipChange { Update = update }, cancellationToken);
    }

    /// <summary>The change run here when leading, else on the leader; a leader that stepped down meanwhile is asked again, until the request timeout.</summary>
    private async Task<MembershipResult> ChangeMembershipAsync(MembershipChange change, CancellationToken cancellationToken)
    {
        DateTime deadline = DateTime.UtcNow + RequestTimeout;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        CancellationToken token = linked.Token;
        try
        {
            while (true)
            {
                if (await _link.WaitForLeaderAsync(deadline, token).ConfigureAwait(false) is not { } leader) return new MembershipResult(null, Members, ServerError.NoLeader);
                MembershipResult result;
                if (!leader.IsRemote)
                {
                    result = await LocalChangeAsync(change, token).ConfigureAwait(false);
                }
                else
                {
                    try
                    {
                        MembershipChangeResult r = await _link.Client(leader).ChangeMembershipAsync(change, _link.Headers, deadline: deadline, cancellationToken: token)
                            .ConfigureAwait(false);
                        result = new MembershipResult(r.Member is null ? null : Membership.ToInfo(r.Member),
                            r.Members.Count > 0 ? r.Members.Select(Membership.ToInfo).ToList() : Members, (ServerError)r.ServerError);
                    }
                    catch (RpcException e) when (!token.IsCancellationRequested && e.StatusCode != StatusCode.DeadlineExceeded && LeaderLink.NeverSent(e))
                    {
                        result = new MembershipResult(null, Members, ServerError.NotLeader); // not sent: ask again
                    }
                    catch (RpcException e) when (!token.IsCancellationRequested)
                    {
                        return new MembershipResult(null, Members, e.StatusCode == StatusCode.DeadlineExceeded ? ServerError.Timeout : ServerError.LeaderChanged);
                    }
                }
                if (result.Error is not (ServerError.NotLeader or ServerError.NoLeader) || DateTime.UtcNow >= deadline) return result;
                await Task.Delay(Math.Max(10, Config.HeartbeatIntervalMs), token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new MembershipResult(null, Members, ServerError.Stopped);
        }
    }

    /// <summary>A follower's change, run on this member if it leads (PeerService); "not leader" otherwise.</summary>
    internal async Task<MembershipChangeResult> LeaderChangeMembershipAsync(MembershipChange change, CancellationToken cancellationToken)
    {
        MembershipResult r = IsLeader
            ? await LocalChangeAsync(change, cancellationToken).ConfigureAwait(false)
            : new MembershipResult(null, Members, ServerError.NotLeader);
        var result = new MembershipChangeResult { ServerError = (int)r.Error };
        if (r.Member is not null) result.Member = Membership.ToRecord(r.Member);
        result.Members.AddRange(r.Members.Select(Membership.ToRecord));
        return result;
    }

    private Task<MembershipResult> LocalChangeAsync(MembershipChange change, CancellationToken cancellationToken) => change.ChangeCase switch
    {
        MembershipChange.ChangeOneofCase.Add => LeaderAddMemberAsync(change.Add.PeerURLs, change.Add.IsLearner, cancellationToken),
        MembershipChange.ChangeOneofCase.Remove => LeaderRemoveMemberAsync(change.Remove.ID, cancellationToken),
        MembershipChange.ChangeOneofCase.Update => LeaderUpdateMemberAsync(change.Update.ID, change.Update.PeerURLs, cancellationToken),
        _ => Task.FromResult(new MembershipResult(null, Members, ServerError.MemberBadUrls)),
    };

    /// <summary>
    /// Before a leader transfer: every voter but the transferee is asked to stand by (vote, not campaign) until the
    /// transferee leads. A member that cannot be asked is handled by the transfer's resign-until-won loop.
    /// </summary>
    private async Task AskOthersToStandByAsync(ulong targetMemberId, CancellationToken cancellationToken)
    {
        var asks = new List<Task>();
        foreach (RaftClusterMember member in _cluster.Members)
        {
            if (!member.IsRemote || MemberAt(member.EndPoint) is not { } info || info.Id == targetMemberId) continue;
            asks.Add(AskAsync(member));
        }
        await Task.WhenAll(asks).ConfigureAwait(false);

        async Task AskAsync(RaftClusterMember member)
        {
            try
            {
                await _link.Client(member).StandByAsync(new StandByRequest { TargetId = targetMemberId }, _link.Headers,
                    deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException)
            {
                // down or unreachable: it cannot campaign either, or the leader's loop asks it to resign
            }
        }
    }
}
