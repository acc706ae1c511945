using System.Net;
using System.Security.Cryptography;
using System.Text;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using Etcdserverpb;
using Grpc.Core;
using KvStore.Server.Replication;
using Kvstorepb;
using Microsoft.Extensions.Logging;

namespace KvStore.Server.Members;

/// <summary>
/// Membership changes (etcd's EtcdServer.AddMember/RemoveMember/UpdateMember): the leader decides on its record, one
/// change at a time, and replicates the record after the change; a follower passes the change to the leader's peer
/// port. DotNext's voters follow the record afterwards (<see cref="VoterReconciler"/>), so a member added with etcdctl
/// counts towards the quorum only once it has started and caught up (etcd counts it at once).
/// </summary>
internal sealed partial class MembershipChanges
{
    private readonly Membership _membership;
    private readonly LeaderLink _link;
    private readonly LeaderLog _log;
    private readonly Func<CancellationToken, Task<IReadOnlySet<EndPoint>>> _voters;
    private readonly Action _reconcileNow;
    private readonly Func<ulong> _leaderId;
    private readonly TimeSpan _requestTimeout;
    private readonly int _heartbeatMs;
    private readonly CancellationToken _stopping;
    private readonly ILogger _logger;

    /// <param name="membership">The member record.</param>
    /// <param name="link">The way to the leader.</param>
    /// <param name="log">The leader's appends.</param>
    /// <param name="voters">DotNext's voters (their peer end points).</param>
    /// <param name="reconcileNow">Wakes the reconciler after a change.</param>
    /// <param name="leaderId">The member id of the current leader (0: none).</param>
    /// <param name="requestTimeout">etcd's request timeout.</param>
    /// <param name="heartbeatMs">The heartbeat interval: how long a follower waits before it asks a leader again.</param>
    /// <param name="stopping">Cancelled when the member stops.</param>
    /// <param name="logger">The member's logger.</param>
    public MembershipChanges(Membership membership, LeaderLink link, LeaderLog log, Func<CancellationToken, Task<IReadOnlySet<EndPoint>>> voters,
        Action reconcileNow, Func<ulong> leaderId, TimeSpan requestTimeout, int heartbeatMs, CancellationToken stopping, ILogger logger)
    {
        _membership = membership;
        _link = link;
        _log = log;
        _voters = voters;
        _reconcileNow = reconcileNow;
        _leaderId = leaderId;
        _requestTimeout = requestTimeout;
        _heartbeatMs = heartbeatMs;
        _stopping = stopping;
        _logger = logger;
    }

    /// <summary>etcd's AddMember: a new voting member with these peer URLs and no name until it starts.</summary>
    public Task<MembershipResult> AddAsync(IReadOnlyList<string> peerUrls, bool isLearner, CancellationToken cancellationToken)
    {
        var add = new MemberAddRequest { IsLearner = isLearner };
        add.PeerURLs.AddRange(peerUrls);
        return ChangeAsync(new MembershipChange { Add = add }, cancellationToken);
    }

    /// <summary>etcd's RemoveMember.</summary>
    public Task<MembershipResult> RemoveAsync(ulong id, CancellationToken cancellationToken) =>
        ChangeAsync(new MembershipChange { Remove = new MemberRemoveRequest { ID = id } }, cancellationToken);

    /// <summary>etcd's UpdateMember: new peer URLs for a member.</summary>
    public Task<MembershipResult> UpdateAsync(ulong id, IReadOnlyList<string> peerUrls, CancellationToken cancellationToken)
    {
        var update = new MemberUpdateRequest { ID = id };
        update.PeerURLs.AddRange(peerUrls);
        return ChangeAsync(new MembershipChange { Update = update }, cancellationToken);
    }

    /// <summary>etcd's PromoteMember: every member here is a voter, so there is never a learner to promote.</summary>
    public Task<MembershipResult> PromoteAsync(ulong id)
    {
        MembershipRecord current = _membership.Current;
        ServerError error = current.ById(id) is null ? ServerError.MemberNotFound : ServerError.MemberNotLearner;
        return Task.FromResult(new MembershipResult(null, current.Members, error));
    }

    /// <summary>The change run here when leading, else on the leader; one that stepped down is asked again, until the request timeout.</summary>
    private async Task<MembershipResult> ChangeAsync(MembershipChange change, CancellationToken cancellationToken)
    {
        DateTime deadline = DateTime.UtcNow + _requestTimeout;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping);
        CancellationToken token = linked.Token;
        try
        {
            while (true)
            {
                if (await _link.WaitForLeaderAsync(deadline, token).ConfigureAwait(false) is not { } leader)
                {
                    return new MembershipResult(null, _membership.Members, ServerError.NoLeader);
                }
                MembershipResult result = leader.IsRemote
                    ? await OnLeaderAsync(leader, change, deadline, token).ConfigureAwait(false)
                    : await LocalChangeAsync(change, token).ConfigureAwait(false);
                if (result.Error is not (ServerError.NotLeader or ServerError.NoLeader) || DateTime.UtcNow >= deadline) return result;
                await Task.Delay(Math.Max(10, _heartbeatMs), token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new MembershipResult(null, _membership.Members, ServerError.Stopped);
        }
    }

    private async Task<MembershipResult> OnLeaderAsync(RaftClusterMember leader, MembershipChange change, DateTime deadline, CancellationToken token)
    {
        try
        {
            MembershipChangeResult r = await _link.Client(leader)
                .ChangeMembershipAsync(change, _link.Headers, deadline: deadline, cancellationToken: token).ConfigureAwait(false);
            return new MembershipResult(r.Member is null ? null : MembershipRecord.ToInfo(r.Member),
                r.Members.Count > 0 ? r.Members.Select(MembershipRecord.ToInfo).ToList() : _membership.Members, (ServerError)r.ServerError);
        }
        catch (RpcException e) when (!token.IsCancellationRequested && e.StatusCode != StatusCode.DeadlineExceeded && LeaderLink.NeverSent(e))
        {
            return new MembershipResult(null, _membership.Members, ServerError.NotLeader); // not sent: ask again
        }
        catch (RpcException e) when (!token.IsCancellationRequested)
        {
            ServerError error = e.StatusCode == StatusCode.DeadlineExceeded ? ServerError.Timeout : ServerError.LeaderChanged;
            return new MembershipResult(null, _membership.Members, error);
        }
    }

    /// <summary>A follower's change, run on this member if it leads (the Forward service calls this); "not leader" otherwise.</summary>
    public async Task<MembershipChangeResult> LeaderChangeAsync(MembershipChange change, CancellationToken cancellationToken)
    {
        MembershipResult r = _link.IsLeader
            ? await LocalChangeAsync(change, cancellationToken).ConfigureAwait(false)
            : new MembershipResult(null, _membership.Members, ServerError.NotLeader);
        var result = new MembershipChangeResult { ServerError = (int)r.Error };
        if (r.Member is not null) result.Member = MembershipRecord.ToRecord(r.Member);
        result.Members.AddRange(r.Members.Select(MembershipRecord.ToRecord));
        return result;
    }

    private Task<MembershipResult> LocalChangeAsync(MembershipChange change, CancellationToken cancellationToken) => change.ChangeCase switch
    {
        MembershipChange.ChangeOneofCase.Add => LeaderAddAsync(change.Add.PeerURLs, change.Add.IsLearner, cancellationToken),
        MembershipChange.ChangeOneofCase.Remove => LeaderRemoveAsync(change.Remove.ID, cancellationToken),
        MembershipChange.ChangeOneofCase.Update => LeaderUpdateAsync(change.Update.ID, change.Update.PeerURLs, cancellationToken),
        _ => Task.FromResult(new MembershipResult(null, _membership.Members, ServerError.MemberBadUrls)),
    };

    // ---- on the leader ----

    private Task<MembershipResult> LeaderAddAsync(IReadOnlyList<string> peerUrls, bool isLearner, CancellationToken cancellationToken) =>
        DecideAsync(current =>
        {
            if (isLearner) return (null, null, ServerError.LearnerNotSupported);
            var urls = peerUrls.Select(MembershipRecord.Url).ToList();
            if (urls.Count == 0 || !urls.All(ValidPeerUrl)) return (null, null, ServerError.MemberBadUrls);
            // etcd's membership.NewMember("", urls, "", now): sha1(sorted URLs + unix seconds).
            var sorted = urls.OrderBy(u => u, StringComparer.Ordinal);
            string seed = string.Concat(sorted)
                + DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            ulong id = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(SHA1.HashData(Encoding.UTF8.GetBytes(seed)));
            if (current.ById(id) is not null) return (null, null, ServerError.MemberExists);
            if (current.RemovedIds.Contains(id)) return (null, null, ServerError.MemberNotFound); // etcd's ErrIDRemoved
            if (current.Members.Any(m => m.PeerUrls.Intersect(urls).Any())) return (null, null, ServerError.PeerUrlExists);
            if (!ReadyToAddVotingMember(current)) return (null, null, ServerError.NotEnoughStartedMembers);
            var added = new MemberInfo(id, "", urls, []);
            return (added, current with { Members = [.. current.Members, added] }, ServerError.None);
        }, cancellationToken);

    private Task<MembershipResult> LeaderRemoveAsync(ulong id, CancellationToken cancellationToken) =>
        DecideAsync(current =>
        {
            if (current.ById(id) is not { } removed) return (null, null, ServerError.MemberNotFound);
            ServerError check = MayRemoveMember(current, removed);
            if (check != ServerError.None) return (null, null, check);
            var next = current with { Members = current.Members.Where(m => m.Id != id).ToList(), RemovedIds = [.. current.RemovedIds, id] };
            return (removed, next, ServerError.None);
        }, cancellationToken, waitForVoters: true);

    private Task<MembershipResult> LeaderUpdateAsync(ulong id, IReadOnlyList<string> peerUrls, CancellationToken cancellationToken) =>
        DecideAsync(current =>
        {
            var urls = peerUrls.Select(MembershipRecord.Url).ToList();
            if (urls.Count == 0 || !urls.All(ValidPeerUrl)) return (null, null, ServerError.MemberBadUrls);
            if (current.ById(id) is not { } member) return (null, null, ServerError.MemberNotFound);
            if (current.Members.Any(m => m.Id != id && m.PeerUrls.Intersect(urls).Any())) return (null, null, ServerError.PeerUrlExists);
            var updated = member with { PeerUrls = urls };
            return (updated, current with { Members = current.Members.Select(m => m.Id == id ? updated : m).ToList() }, ServerError.None);
        }, cancellationToken);

    private static bool ValidPeerUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https" && uri.Port > 0 && IPAddress.TryParse(uri.Host, out _)
        || (Uri.TryCreate(url, UriKind.Absolute, out uri) && uri.Host == "localhost" && uri.Port > 0);

    /// <summary>
    /// One change at a time (etcd serializes conf changes through Raft): decide on the current record under the lock,
    /// replicate the record after the change, and answer once it is applied here.
    /// </summary>
    private async Task<MembershipResult> DecideAsync(
        Func<MembershipRecord, (MemberInfo? Member, MembershipRecord? Next, ServerError Error)> change, CancellationToken cancellationToken,
        bool waitForVoters = false)
    {
        if (_stopping.IsCancellationRequested) return new MembershipResult(null, _membership.Members, ServerError.Stopped);
        if (!_link.IsLeader) return new MembershipResult(null, _membership.Members, _leaderId() == 0 ? ServerError.NoLeader : ServerError.NotLeader);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping);
        timeout.CancelAfter(_requestTimeout);
        try
        {
            using (await _membership.LockAsync(timeout.Token).ConfigureAwait(false))
            {
                (MemberInfo? member, MembershipRecord? next, ServerError error) = change(_membership.Current);
                if (error != ServerError.None || next is null) return new MembershipResult(null, _membership.Members, error);
                var batch = new RaftBatch { Members = next.ToProto() };
                if (_log.TermOrZero() is not (> 0 and var term)) return new MembershipResult(null, _membership.Members, ServerError.LeaderChanged);
                await _log.AppendAsync(batch, term, timeout.Token).ConfigureAwait(false);
                Log.MembershipChanged(_logger, member!.Id, string.Join(",", member.PeerUrls), next.Members.Count);
                _reconcileNow();
                if (waitForVoters) await WaitForVotersAsync(next, timeout.Token).ConfigureAwait(false);
                return new MembershipResult(member, _membership.Members);
            }
        }
        catch (NotLeaderException)
        {
            return new MembershipResult(null, _membership.Members, ServerError.NoLeader);
        }
        catch (OperationCanceledException)
        {
            return new MembershipResult(null, _membership.Members, _stopping.IsCancellationRequested ? ServerError.Stopped : ServerError.Timeout);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            return new MembershipResult(null, _membership.Members, ServerError.Stopped);
        }
    }

    /// <summary>Waits until DotNext's voters are the record's (a removal is done when the member no longer votes).</summary>
    private async Task WaitForVotersAsync(MembershipRecord record, CancellationToken token)
    {
        var wanted = record.Members.Select(MembershipRecord.EndPointOf).ToHashSet();
        while (!token.IsCancellationRequested && _link.IsLeader)
        {
            IReadOnlySet<EndPoint> voters = await _voters(token).ConfigureAwait(false);
            if (voters.All(wanted.Contains)) return;
            await Task.Delay(50, token).ConfigureAwait(false);
        }
    }

    /// <summary>A member counts as started when it is this one, or a voter the leader hears from.</summary>
    private bool IsStarted(MemberInfo m) =>
        m.Id == _membership.MemberId || _link.Voter(MembershipRecord.EndPointOf(m)) is { Status: ClusterMemberStatus.Available };

    /// <summary>etcd's RaftCluster.IsReadyToAddVotingMember: the started members stay a quorum of the cluster with the new one.</summary>
    private bool ReadyToAddVotingMember(MembershipRecord current)
    {
        int members = current.Members.Count + 1;
        int started = current.Members.Count(IsStarted);
        if (started == 1 && members == 2) return true;
        return started >= members / 2 + 1;
    }

    /// <summary>etcd's mayRemoveMember: the started members left must still be a quorum.</summary>
    private ServerError MayRemoveMember(MembershipRecord current, MemberInfo removed)
    {
        var left = current.Members.Where(m => m.Id != removed.Id).ToList();
        int started = left.Count(IsStarted);
        if (started < left.Count / 2 + 1) return ServerError.NotEnoughStartedMembers;
        if (removed.Id != _membership.MemberId && !IsStarted(removed)) return ServerError.None; // a downed member is safe to remove
        int active = current.Members.Count(IsStarted);
        return active - 1 < 1 + (current.Members.Count - 1) / 2 ? ServerError.Unhealthy : ServerError.None;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "membership changed for member {MemberId:x16} ({PeerUrls}): {Count} members")]
        public static partial void MembershipChanged(ILogger logger, ulong memberId, string peerUrls, int count);
    }
}
