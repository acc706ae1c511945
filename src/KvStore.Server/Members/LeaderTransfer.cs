using DotNext.Net.Cluster.Consensus.Raft;
using Grpc.Core;
using KvStore.Server.Replication;
using Kvstorepb;
using Microsoft.Extensions.Logging;

namespace KvStore.Server.Members;

/// <summary>
/// etcd's MoveLeader on DotNext, which has no leadership transfer: the leader and every other voter but the transferee
/// stand by (step down, vote, do not campaign) and any other winner is asked to resign, until the transferee wins an
/// election or the request times out. Only a member up to date can win a Raft election, so nothing committed is lost.
/// Test: MembershipTests.MoveLeaderLearnerPromoteAndUpdate.
/// </summary>
internal sealed partial class LeaderTransfer
{
    private readonly Membership _membership;
    private readonly RaftCluster _cluster;
    private readonly LeaderLink _link;
    private readonly Func<ulong> _leaderId;
    private readonly TimeSpan _requestTimeout;
    private readonly int _heartbeatMs;
    private readonly CancellationToken _stopping;
    private readonly ILogger _logger;

    /// <param name="membership">The member record (and the lock a transfer holds).</param>
    /// <param name="cluster">The Raft node (stand-by mode, the leader).</param>
    /// <param name="link">The way to the other members.</param>
    /// <param name="leaderId">The member id of the current leader (0: none).</param>
    /// <param name="requestTimeout">etcd's request timeout: how long a transfer may take.</param>
    /// <param name="heartbeatMs">The heartbeat interval.</param>
    /// <param name="stopping">Cancelled when the member stops.</param>
    /// <param name="logger">The member's logger.</param>
    public LeaderTransfer(Membership membership, RaftCluster cluster, LeaderLink link, Func<ulong> leaderId, TimeSpan requestTimeout, int heartbeatMs,
        CancellationToken stopping, ILogger logger)
    {
        _membership = membership;
        _cluster = cluster;
        _link = link;
        _leaderId = leaderId;
        _requestTimeout = requestTimeout;
        _heartbeatMs = heartbeatMs;
        _stopping = stopping;
        _logger = logger;
    }

    /// <summary>etcd's MoveLeader ("etcdserver: request timed out, leader transfer took too long" at the request timeout).</summary>
    public async Task<ServerError> MoveLeaderAsync(ulong targetMemberId, CancellationToken cancellationToken)
    {
        if (!_link.IsLeader) return ServerError.NotLeader;
        if (_membership.Current.ById(targetMemberId) is not { } target) return ServerError.BadLeaderTransferee;
        ulong self = _membership.MemberId;
        if (targetMemberId == self) return ServerError.None;
        if (_link.Voter(MembershipRecord.EndPointOf(target)) is not { } transferee) return ServerError.BadLeaderTransferee; // not a voter yet
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping);
        timeout.CancelAfter(_requestTimeout);
        CancellationToken token = timeout.Token;
        Log.LeaderTransferStarting(_logger, self, targetMemberId);
        await AskOthersToStandByAsync(targetMemberId, token).ConfigureAwait(false);
        IDisposable locked = await _membership.LockAsync(token).ConfigureAwait(false);
        try
        {
            await _cluster.EnableStandbyModeAsync(token).ConfigureAwait(false);
            while (true)
            {
                await Task.Delay(Math.Max(10, _heartbeatMs / 2), token).ConfigureAwait(false);
                IRaftClusterMember? leader = _cluster.Leader;
                if (leader is null || !leader.IsRemote) continue;
                if (ReferenceEquals(leader, transferee) || leader.EndPoint.Equals(transferee.EndPoint)) break;
                try
                {
                    await leader.ResignAsync(token).ConfigureAwait(false); // another member won: make it try again
                }
                catch (Exception e) when (e is not OperationCanceledException && e is not OutOfMemoryException)
                {
                    // unreachable for a moment: the next round asks again
                }
            }
            Log.LeaderTransferFinished(_logger, self, targetMemberId);
            return ServerError.None;
        }
        catch (OperationCanceledException)
        {
            return _stopping.IsCancellationRequested ? ServerError.Stopped : ServerError.LeaderTransferTimeout;
        }
        finally
        {
            try
            {
                await _cluster.RevertToNormalModeAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
            }
            locked.Dispose();
        }
    }

    /// <summary>During a leader transfer to <paramref name="targetMemberId"/>: stop campaigning till it leads (at most a request timeout).</summary>
    public async Task<ServerError> StandByAsync(ulong targetMemberId, CancellationToken cancellationToken)
    {
        if (_link.IsLeader) return ServerError.NotLeader; // only the leader starts a transfer; a leader never stands by for one
        if (targetMemberId == _membership.MemberId || _membership.Current.ById(targetMemberId) is null) return ServerError.None;
        if (!await _cluster.EnableStandbyModeAsync(cancellationToken).ConfigureAwait(false)) return ServerError.None;
        _ = Task.Run(async () =>
        {
            var deadline = DateTime.UtcNow + _requestTimeout;
            try
            {
                while (DateTime.UtcNow < deadline && _leaderId() != targetMemberId && !_stopping.IsCancellationRequested)
                {
                    await Task.Delay(50, _stopping).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                try
                {
                    await _cluster.RevertToNormalModeAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (ObjectDisposedException)
                {
                }
            }
        }, CancellationToken.None);
        return ServerError.None;
    }

    /// <summary>
    /// Before a transfer: every voter but the transferee is asked to stand by until the transferee leads. A member that
    /// cannot be asked is handled by the transfer's resign-until-won loop.
    /// </summary>
    private async Task AskOthersToStandByAsync(ulong targetMemberId, CancellationToken cancellationToken)
    {
        var asks = new List<Task>();
        foreach (RaftClusterMember member in _link.Members)
        {
            if (!member.IsRemote || _membership.MemberAt(member.EndPoint) is not { } info || info.Id == targetMemberId) continue;
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

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "leadership transfer starting from {From:x16} to {To:x16}")]
        public static partial void LeaderTransferStarting(ILogger logger, ulong from, ulong to);

        [LoggerMessage(Level = LogLevel.Information, Message = "leadership transfer finished from {From:x16} to {To:x16}")]
        public static partial void LeaderTransferFinished(ILogger logger, ulong from, ulong to);
    }
}
