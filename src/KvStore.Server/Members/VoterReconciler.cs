using System.Net;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using Grpc.Core;
using KvStore.Server.Replication;
using Kvstorepb;
using Microsoft.Extensions.Logging;

namespace KvStore.Server.Members;

/// <summary>
/// The leader's reconciler: DotNext's voters (peer end points, in a file beside the record) follow the member record one
/// member at a time: a member no longer in the record is removed, a new one added once it is up and knows its id
/// (DotNext first catches it up). Each started member's name and client URLs enter the record (etcd's publish).
/// </summary>
internal sealed partial class VoterReconciler
{
    private readonly Membership _membership;
    private readonly RaftCluster _cluster;
    private readonly LeaderLink _link;
    private readonly LeaderLog _log;
    private readonly EndPointConfigurationStorage _voters;
    private readonly Func<CancellationToken, Task<ServerError>> _readIndex;
    private readonly ServerConfig _config;
    private readonly TimeSpan _requestTimeout;
    private readonly ILogger _logger;
    private TaskCompletionSource _reconcileNow = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="membership">The member record.</param>
    /// <param name="cluster">The Raft node, whose voters are changed.</param>
    /// <param name="link">The way to the other members.</param>
    /// <param name="log">The leader's appends.</param>
    /// <param name="voters">DotNext's voters as stored.</param>
    /// <param name="readIndex">A linearizable read barrier.</param>
    /// <param name="config">The member's configuration.</param>
    /// <param name="requestTimeout">etcd's request timeout.</param>
    /// <param name="logger">The member's logger.</param>
    public VoterReconciler(Membership membership, RaftCluster cluster, LeaderLink link, LeaderLog log, EndPointConfigurationStorage voters,
        Func<CancellationToken, Task<ServerError>> readIndex, ServerConfig config, TimeSpan requestTimeout, ILogger logger)
    {
        _membership = membership;
        _cluster = cluster;
        _link = link;
        _log = log;
        _voters = voters;
        _readIndex = readIndex;
        _config = config;
        _requestTimeout = requestTimeout;
        _logger = logger;
    }

    /// <summary>Starts a round now instead of at the next tick (after a change of the record).</summary>
    public void ReconcileNow() => _reconcileNow.TrySetResult();

    /// <summary>On the leader, a round every 500 ms or when woken.</summary>
    public async Task RunAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            TaskCompletionSource signal = _reconcileNow;
            await Task.WhenAny(signal.Task, Task.Delay(500, token)).ConfigureAwait(false);
            if (signal.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _reconcileNow, new(TaskCreationOptions.RunContinuationsAsynchronously), signal);
            }
            if (!_link.IsLeader) continue;
            try
            {
                await ReconcileVotersAsync(token).ConfigureAwait(false);
                await PublishAttributesAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Log.ReconcileFailed(_logger, e.Message);
            }
        }
    }

    private async Task ReconcileVotersAsync(CancellationToken token)
    {
        MembershipRecord record = _membership.Current;
        if (record.Members.Count == 0) return;
        var wanted = record.Members.Select(MembershipRecord.EndPointOf).ToList();
        IReadOnlySet<EndPoint> voters = await _voters.MembersAsync(token).ConfigureAwait(false);
        if (voters.FirstOrDefault(v => !wanted.Contains(v)) is { } gone)
        {
            Log.RemovingVoter(_logger, gone.ToString()!);
            await _cluster.RemoveMemberAsync(gone, token).ConfigureAwait(false);
            return;
        }
        if (wanted.FirstOrDefault(w => !voters.Contains(w)) is { } added)
        {
            // DotNext catches the new member up first (log or snapshot), so try only once it answers and knows which
            // member it is, and give the catch-up time; until then, every round asks again.
            if (!await TellJoinerItsIdAsync(record, added, token).ConfigureAwait(false)) return;
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(token);
            attempt.CancelAfter(TimeSpan.FromSeconds(Math.Max(60, _config.ElectionTimeoutMs * 20L / 1000)));
            try
            {
                // A member caught up by a Raft snapshot learns the members, and itself, from the snapshot's record.
                if (await _cluster.AddMemberAsync(added, attempt.Token).ConfigureAwait(false)) Log.AddedVoter(_logger, added.ToString()!);
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                // not up yet
            }
        }
    }

    /// <summary>
    /// Tells the member at <paramref name="endPoint"/> its id in <paramref name="record"/> before it becomes a voter; true
    /// once it holds that id. Test: FaultMechanismTests.MemberRemovedAndAddedBackTwiceWithTheSamePeerUrlServesEachTime.
    /// </summary>
    private async Task<bool> TellJoinerItsIdAsync(MembershipRecord record, EndPoint endPoint, CancellationToken token)
    {
        if (record.Members.FirstOrDefault(m => MembershipRecord.EndPointOf(m).Equals(endPoint)) is not { } joiner) return false;
        // Only a record holding every committed change: a new leader may not have applied them all yet, and an older
        // record may still name an earlier member at this peer URL.
        if (await _readIndex(token).ConfigureAwait(false) != ServerError.None || !_link.IsLeader
            || !ReferenceEquals(record, _membership.Current))
        {
            return false;
        }
        try
        {
            JoinResponse response = await _link.Client(endPoint)
                .JoinAsync(new JoinRequest { MemberId = joiner.Id, Members = record.ToProto() }, _link.Headers,
                    deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: token)
                .ConfigureAwait(false);
            if (response.MemberId == joiner.Id) return true;
            Log.JoinerHoldsOtherId(_logger, endPoint.ToString()!, joiner.Id, response.MemberId);
            return false;
        }
        catch (RpcException) when (!token.IsCancellationRequested)
        {
            return false; // not up yet
        }
    }

    /// <summary>etcd's publish: each started member's name and client URLs (from its Raft metadata) enter the record.</summary>
    private async Task PublishAttributesAsync(CancellationToken token)
    {
        MembershipRecord record = _membership.Current;
        var changed = new List<MemberInfo>(record.Members.Count);
        bool any = false;
        foreach (MemberInfo m in record.Members)
        {
            (string Name, string[] ClientUrls)? attrs = null;
            if (m.Id == _membership.MemberId)
            {
                attrs = (_config.Name, _config.AdvertiseClientUrls.Select(u => MembershipRecord.Url(u.ToString())).ToArray());
            }
            else if (_link.Voter(MembershipRecord.EndPointOf(m)) is { Status: ClusterMemberStatus.Available } raft)
            {
                IReadOnlyDictionary<string, string> meta = await raft.GetMetadataAsync(false, token).ConfigureAwait(false);
                if (meta.TryGetValue("name", out string? name) && meta.TryGetValue("client-urls", out string? urls))
                {
                    attrs = (name, urls.Split(',', StringSplitOptions.RemoveEmptyEntries));
                }
            }
            if (attrs is { } a && (a.Name != m.Name || !a.ClientUrls.SequenceEqual(m.ClientUrls)))
            {
                changed.Add(m with { Name = a.Name, ClientUrls = a.ClientUrls });
                any = true;
            }
            else
            {
                changed.Add(m);
            }
        }
        if (any) await ProposeRecordAsync(record, record with { Members = changed }, token).ConfigureAwait(false);
    }

    /// <summary>Replicates <paramref name="next"/> unless the record changed since <paramref name="basis"/>.</summary>
    private async Task ProposeRecordAsync(MembershipRecord basis, MembershipRecord next, CancellationToken token)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(_requestTimeout);
        using (await _membership.LockAsync(timeout.Token).ConfigureAwait(false))
        {
            if (!ReferenceEquals(basis, _membership.Current)) return; // changed meanwhile: next round
            var batch = new RaftBatch { Members = next.ToProto() };
            if (_log.TermOrZero() is not (> 0 and var term)) return; // no longer leading: the next leader re-proposes
            await _log.AppendAsync(batch, term, timeout.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Fetches every remote member's metadata until all are known (names and client URLs for the member list, the leader id).</summary>
    public async Task FetchMetadataAsync(CancellationToken token)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(100, _config.ElectionTimeoutMs)));
        while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
        {
            foreach (RaftClusterMember member in _link.Members)
            {
                if (!member.IsRemote || member.TryGetMetadata() is not null) continue;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(TimeSpan.FromMilliseconds(_config.ElectionTimeoutMs * 2));
                try
                {
                    await member.GetMetadataAsync(false, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Stopping: a member that went away first (any error then) ends the loop, not the member's stop.
                    if (token.IsCancellationRequested) return;
                    // unreachable now: try again on the next tick
                    Log.MetadataFailed(_logger, member.EndPoint, e);
                }
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "removing voter {EndPoint}")]
        public static partial void RemovingVoter(ILogger logger, string endPoint);

        [LoggerMessage(Level = LogLevel.Information, Message = "added voter {EndPoint}")]
        public static partial void AddedVoter(ILogger logger, string endPoint);

        [LoggerMessage(Level = LogLevel.Debug, Message = "membership reconcile round failed: {Reason}")]
        public static partial void ReconcileFailed(ILogger logger, string reason);

        [LoggerMessage(Level = LogLevel.Warning,
            Message = "the member at {EndPoint} is not added as a voter: the record names it {Wanted:x16}, it holds {Held:x16}")]
        public static partial void JoinerHoldsOtherId(ILogger logger, string endPoint, ulong wanted, ulong held);

        [LoggerMessage(Level = LogLevel.Debug, Message = "metadata of member {EndPoint} not available")]
        public static partial void MetadataFailed(ILogger logger, EndPoint endPoint, Exception e);
    }
}
