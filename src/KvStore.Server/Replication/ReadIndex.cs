using System.Collections.Concurrent;
using DotNext.Net.Cluster.Consensus.Raft;
using Grpc.Core;
using KvStore.Server.Transport;
using Kvstorepb;
using Microsoft.Extensions.Logging;

namespace KvStore.Server.Replication;

/// <summary>
/// Linearizable reads (etcd's linearizableReadLoop, etcdserver/v3_server.go): reads that arrive while a round is in
/// flight share the next round, so one quorum confirmation serves many reads. On the leader a round is its own read
/// barrier; on a follower it is a read index the leader confirmed, then local apply up to it.
/// </summary>
internal sealed partial class ReadIndex
{
    private readonly RaftCluster _cluster;
    private readonly IRaftLogView _wal;
    private readonly Func<Task> _restored;
    private readonly LeaderLink _link;
    private readonly Func<long> _term;
    private readonly Func<ulong> _leaderId;
    private readonly TimeSpan _requestTimeout;
    private readonly CancellationToken _stopping;
    private readonly ILogger _logger;
    private readonly ReadRounds _rounds;
    private readonly ConcurrentDictionary<Forward.ForwardClient, PeerStream<ConfirmLeaderRequest, ConfirmLeaderResponse>> _confirms = new();
    private readonly ConcurrentDictionary<Forward.ForwardClient, PeerStream<ReadIndexRequest, ReadIndexResponse>> _readIndexes = new();
    private long _establishedTerm; // a term in which this leader's commit index reached an entry of its own term

    /// <param name="cluster">The Raft node (its read barrier and leadership token).</param>
    /// <param name="wal">The log, whose applied index reads wait for.</param>
    /// <param name="restored">Completes once a snapshot being installed is restored into the engine.</param>
    /// <param name="link">The way to the leader.</param>
    /// <param name="term">The current Raft term.</param>
    /// <param name="leaderId">The member id of the current leader (0: none).</param>
    /// <param name="requestTimeout">etcd's request timeout: how long a round tries.</param>
    /// <param name="stopping">Cancelled when the member stops.</param>
    /// <param name="logger">The member's logger.</param>
    public ReadIndex(RaftCluster cluster, IRaftLogView wal, Func<Task> restored, LeaderLink link, Func<long> term, Func<ulong> leaderId,
        TimeSpan requestTimeout, CancellationToken stopping, ILogger logger)
    {
        _cluster = cluster;
        _wal = wal;
        _restored = restored;
        _link = link;
        _term = term;
        _leaderId = leaderId;
        _requestTimeout = requestTimeout;
        _stopping = stopping;
        _logger = logger;
        _rounds = new ReadRounds(BarrierAsync);
    }

    /// <summary>Waits until this member has applied everything committed before the call (rounds: <see cref="ReadRounds"/>).</summary>
    public Task<ServerError> WaitAsync(CancellationToken cancellationToken) =>
        _stopping.IsCancellationRequested ? Task.FromResult(ServerError.Stopped) : _rounds.WaitAsync(cancellationToken);

    /// <summary>
    /// One read round. A round that met a leader change is tried again until the request timeout (reads change
    /// nothing), as etcd's read loop does; a member that never reaches a leader answers "request timed out".
    /// </summary>
    private async Task<ServerError> BarrierAsync()
    {
        DateTime deadline = DateTime.UtcNow + _requestTimeout;
        while (true)
        {
            ServerError error = _link.IsLeader
                ? await LeaderBarrierAsync(deadline).ConfigureAwait(false)
                : await FollowerBarrierAsync(deadline).ConfigureAwait(false);
            if (error is not (ServerError.NoLeader or ServerError.LeaderChanged)) return error;
            if (DateTime.UtcNow >= deadline) return ServerError.Timeout;
            try
            {
                if (error == ServerError.NoLeader && _link.IsLeader) await TermStartAsync(deadline).ConfigureAwait(false);
                else await _link.Watch.WaitAsync(_link.RetryInterval, _stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return ServerError.Stopped;
            }
        }
    }

    /// <summary>
    /// This member leads but its round answered "no leader": DotNext's leadership token stays cancelled until the term's
    /// first entry is committed. Waits until everything the log holds now (that entry included) is applied, the leader
    /// changes, or <paramref name="deadline"/>, so that a read right after an election goes on when that entry commits,
    /// not a retry interval later.
    /// </summary>
    private async Task TermStartAsync(DateTime deadline)
    {
        CancellationToken epoch = _link.Watch.Token;
        if (!_link.IsLeader) return;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(_stopping, epoch);
        TimeSpan left = deadline - DateTime.UtcNow;
        wait.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        try
        {
            await _wal.WaitForApplyAsync(_wal.LastEntryIndex, wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            // the leader changed, or the deadline: the round loop decides
        }
    }

    /// <summary>
    /// The leader's read barrier, etcd's ReadIndex: the commit index when the round starts is the read index; a majority
    /// confirming this member as leader of its term after that (<see cref="ConfirmLeadershipAsync"/>) proves no newer
    /// leader committed anything before it; the read waits for local apply up to the index. Until this leader has
    /// committed an entry of its own term, its commit index may miss what earlier leaders committed (etcd defers reads
    /// then). Two guards, each enough alone: DotNext's leadership token stays cancelled until the term's no-op entry is
    /// committed (the round answers "no leader" and is tried again once that entry is applied, <see cref="TermStartAsync"/>),
    /// and the first round of a term waits for DotNext's strong barrier (a heartbeat quorum and commit of everything this
    /// leader's log holds) instead of taking the commit index as it stands. Bound to this leadership: a member that steps
    /// down meanwhile fails the read.
    /// Tests: FaultTests.PausedLeaderStepsDownAndServesNoStaleRead, LeaderChangeTests.ANewLeaderReadsWhatItsPredecessorCommitted,
    /// LeaderChangeTests.ANewLeaderReadsOnlyAfterItsFirstCommit (fails with both guards taken out, not with one), the
    /// robustness runs' linearizability checker.
    /// </summary>
    private async Task<ServerError> LeaderBarrierAsync(DateTime deadline)
    {
        CancellationToken leadership = _cluster.LeadershipToken;
        long term = _term();
        if (leadership.IsCancellationRequested) return ServerError.NoLeader;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping, leadership);
        TimeSpan left = deadline - DateTime.UtcNow;
        timeout.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        try
        {
            bool established = Volatile.Read(ref _establishedTerm) == term;
            long readIndex = _wal.LastCommittedEntryIndex;
            Task<bool> confirmed = ConfirmLeadershipAsync(term, deadline);
            if (established) await _wal.WaitForApplyAsync(readIndex, timeout.Token).ConfigureAwait(false);
            else await _cluster.ApplyReadBarrierAsync(ReadBarrierType.Strong, timeout.Token).ConfigureAwait(false);
            await _restored().WaitAsync(timeout.Token).ConfigureAwait(false);
            // Everything committed before the read is applied; a majority confirmed this member still led after it arrived.
            if (await confirmed.ConfigureAwait(false) && _term() == term && !leadership.IsCancellationRequested)
            {
                if (!established) Volatile.Write(ref _establishedTerm, term);
                return ServerError.None;
            }
            Log.LeadershipNotConfirmed(_logger, term);
            return DateTime.UtcNow >= deadline ? ServerError.Timeout : ServerError.LeaderChanged;
        }
        catch (Exception e) when (e is NotLeaderException or QuorumUnreachableException)
        {
            return ServerError.NoLeader;
        }
        catch (OperationCanceledException)
        {
            if (_stopping.IsCancellationRequested) return ServerError.Stopped;
            return leadership.IsCancellationRequested ? ServerError.LeaderChanged : ServerError.Timeout;
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            return ServerError.Stopped;
        }
    }

    /// <summary>
    /// A follower's read barrier: the leader's quorum-confirmed read index, then local apply up to it. Asking is
    /// harmless to repeat, so a leader that went away or stepped down is asked again (or its successor) until
    /// <paramref name="deadline"/>.
    /// </summary>
    private async Task<ServerError> FollowerBarrierAsync(DateTime deadline)
    {
        CancellationToken token = _stopping;
        try
        {
            while (true)
            {
                if (await _link.WaitForLeaderAsync(deadline, token).ConfigureAwait(false) is not { } leader) return ServerError.Timeout;
                if (!leader.IsRemote) return await LeaderBarrierAsync(deadline).ConfigureAwait(false);
                // Asked again of the next leader as soon as this one is replaced: a round stuck on a frozen leader would
                // hold every linearizable read here (LeaderChangeTests.FollowerWritesAndReadsGoToTheNewLeaderWhileTheOldOneIsPaused).
                CancellationToken epoch = _link.Watch.Token;
                if (!ReferenceEquals(_link.Leader, leader)) continue;
                if (_link.Client(leader) is { } client)
                {
                    using var call = CancellationTokenSource.CreateLinkedTokenSource(token, epoch);
                    TimeSpan left = deadline - DateTime.UtcNow;
                    call.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
                    ReadIndexResponse? response = await ReadIndexes(client).AskAsync(new ReadIndexRequest(), deadline, call.Token)
                        .ConfigureAwait(false);
                    if (response?.ServerError == (int)ServerError.None)
                    {
                        bool applied = await WaitAppliedAsync(response.Index, deadline, token).ConfigureAwait(false);
                        return applied ? ServerError.None : ServerError.Timeout;
                    }
                    if (response is not null && response.ServerError != (int)ServerError.NoLeader) return (ServerError)response.ServerError;
                    if (response is null && !token.IsCancellationRequested && epoch.IsCancellationRequested) continue; // ask the new leader
                    if (response is null) Log.ReadIndexFailed(_logger, leader.EndPoint);
                }
                if (DateTime.UtcNow >= deadline) return ServerError.Timeout;
                await _link.Watch.WaitAsync(_link.RetryInterval, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            return ServerError.Stopped;
        }
    }

    /// <summary>
    /// Waits until this member has applied log index <paramref name="index"/>; false at the deadline. Counts in the
    /// WAL's applied index (every entry, no-ops and configuration too), the same count the leader's answer uses.
    /// </summary>
    private async Task<bool> WaitAppliedAsync(long index, DateTime deadline, CancellationToken token)
    {
        if (_wal.LastAppliedIndex >= index && _restored().IsCompleted) return true;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        TimeSpan left = deadline - DateTime.UtcNow;
        timeout.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        try
        {
            await _wal.WaitForApplyAsync(index, timeout.Token).ConfigureAwait(false);
            await _restored().WaitAsync(timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            return false;
        }
    }

    // ---- leader side (the Forward service calls these) ----

    /// <summary>A follower's read index: this leader's applied index after a read round (shared with its own clients' reads).</summary>
    public async Task<ReadIndexResponse> LeaderReadIndexAsync(CancellationToken cancellationToken)
    {
        if (!_link.IsLeader) return new ReadIndexResponse { ServerError = (int)ServerError.NoLeader };
        ServerError error = await WaitAsync(cancellationToken).ConfigureAwait(false);
        // The WAL's applied index (not the member's, which skips entries without commands): at least the commit index
        // the barrier confirmed.
        return new ReadIndexResponse { Index = _wal.LastAppliedIndex, ServerError = (int)error };
    }

    /// <summary>Whether this member is in <paramref name="term"/> and follows <paramref name="leaderId"/> (a leader's read confirmation).</summary>
    public ConfirmLeaderResponse ConfirmLeader(long term, ulong leaderId)
    {
        long current = _term();
        return new ConfirmLeaderResponse { Term = current, Confirmed = current == term && !_link.IsLeader && _leaderId() == leaderId };
    }

    /// <summary>
    /// Asks every other voter whether it still follows this member in <paramref name="term"/>; true once a majority
    /// (this member included) says so, false when that can no longer happen or at <paramref name="deadline"/>. Asked
    /// after the read arrived, a majority proves no newer leader committed anything before it (DotNext's strong barrier
    /// alone does not). Test: FaultTests.PausedLeaderStepsDownAndServesNoStaleRead.
    /// </summary>
    private async Task<bool> ConfirmLeadershipAsync(long term, DateTime deadline)
    {
        List<RaftClusterMember> others = _link.Members.Where(m => m.IsRemote).ToList();
        int needed = (others.Count + 1) / 2; // a majority of all voters, minus this member
        if (needed == 0) return true;
        int confirmed = 0, refused = 0, pending = others.Count;
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Every question ends by the deadline; the questions' source is disposed by the last one to end. Once the round is
        // decided the stragglers are given up after a heartbeat: a healthy member answers well before that.
        var calls = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
        TimeSpan left = deadline - DateTime.UtcNow;
        calls.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        foreach (RaftClusterMember member in others)
        {
            _ = AskAsync(member);
        }
        bool result = await done.Task.ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref pending) > 0) calls.CancelAfter(_link.RetryInterval);
        }
        catch (ObjectDisposedException)
        {
            // the last call ended meanwhile
        }
        return result;

        async Task AskAsync(RaftClusterMember member)
        {
            bool yes = false;
            try
            {
                if (_link.Client(member) is { } client)
                {
                    ConfirmLeaderResponse? r = await Confirms(client).AskAsync(new ConfirmLeaderRequest { Term = term }, deadline, calls.Token)
                        .ConfigureAwait(false);
                    yes = r?.Confirmed == true;
                }
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
            }
            if (yes ? Interlocked.Increment(ref confirmed) == needed : Interlocked.Increment(ref refused) == others.Count - needed + 1)
            {
                done.TrySetResult(yes);
            }
            if (Interlocked.Decrement(ref pending) == 0) calls.Dispose();
        }
    }

    /// <summary>This leader's confirmation questions to the member <paramref name="client"/> reaches.</summary>
    private PeerStream<ConfirmLeaderRequest, ConfirmLeaderResponse> Confirms(Forward.ForwardClient client) =>
        _confirms.GetOrAdd(client, c => new(
            (headers, token) => c.ConfirmLeaderStream(headers, cancellationToken: token),
            (request, headers, deadline, token) => c.ConfirmLeaderAsync(request, headers, deadline, token),
            () => _link.Headers, _stopping));

    /// <summary>This follower's read index questions to the leader <paramref name="client"/> reaches.</summary>
    private PeerStream<ReadIndexRequest, ReadIndexResponse> ReadIndexes(Forward.ForwardClient client) =>
        _readIndexes.GetOrAdd(client, c => new(
            (headers, token) => c.ReadIndexStream(headers, cancellationToken: token),
            (request, headers, deadline, token) => c.ReadIndexAsync(request, headers, deadline, token),
            () => _link.Headers, _stopping));

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information,
            Message = "read round: a majority did not confirm this member as leader of term {Term}; retrying")]
        public static partial void LeadershipNotConfirmed(ILogger logger, long term);

        [LoggerMessage(Level = LogLevel.Warning, Message = "read index from the leader at {Leader} failed: no answer")]
        public static partial void ReadIndexFailed(ILogger logger, System.Net.EndPoint leader);
    }
}
