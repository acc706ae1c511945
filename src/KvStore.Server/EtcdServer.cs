using System.Net;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Etcdserverpb;
using Grpc.Core;
using KvStore.Mvcc;
using KvStore.Server.Access;
using KvStore.Server.Apply;
using KvStore.Server.DataDir;
using KvStore.Server.Leases;
using KvStore.Server.Members;
using KvStore.Server.Replication;
using KvStore.Server.Transport;
using Microsoft.Extensions.Logging;

namespace KvStore.Server;

/// <summary>
/// One kvstore member (etcd's EtcdServer): a DotNext Raft node on the peer port (plain or TLS) with its write-ahead
/// log in the data dir and a state machine applying committed commands to the MVCC engine. It builds, starts and stops
/// the components that own their state (Replication: <see cref="Proposer"/>, <see cref="Forwarder"/>,
/// <see cref="ReadIndex"/>; Leases: <see cref="LeaseKeeper"/> over the engine's <see cref="KvStore.Mvcc.Leases.Lessor"/>;
/// Members: <see cref="Membership"/> and its changes), wires leader changes to them, and knows the small facts (ids,
/// term, indexes). A single member is a cluster of one.
/// </summary>
public sealed partial class EtcdServer : IEtcdServer, IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly MvccStore _store;
    private readonly IRaftLogView _wal;
    private readonly RaftCluster _cluster;
    private readonly CancellationTokenSource _stopping = new();
    private long _appliedIndex;
    private bool _disposed;
    /// <summary>The proposals waiting for their apply, by request id (etcd's wait.Wait).</summary>
    private readonly WaitRegistry _waiters = new();
    /// <summary>The replicated alarm list.</summary>
    private readonly AlarmStore _alarms = new();
    /// <summary>The propose path's quota check.</summary>
    private readonly Quota _quota;
    /// <summary>Users, roles, the auth revision, tokens, credentials and permission checks (etcd's auth store).</summary>
    private readonly AuthStore _auth;

    private EtcdServer(ServerConfig config, ILoggerFactory loggers)
    {
        Config = config;
        _logger = loggers.CreateLogger("kvstore.server");
        string memberDir = Path.Combine(config.DataDir, "member");
        var storeOptions = new MvccOptions
        {
            Directory = memberDir,
            MaxTxnOps = config.MaxTxnOps,
            MinLeaseTtl = config.MinLeaseTtlSeconds,
        };
        _store = DataDirException.Wrap(() => MvccStore.Open(storeOptions), "cannot open database at " + storeOptions.StorageOrDefault().Directory);
        EngineWriteFailure.StopOnFailure(_store.WriteFailed, _logger);
        _auth = new AuthStore(_store, config, _logger);

        Directory.CreateDirectory(memberDir);
        _backendSize = new BackendSize(memberDir, config.WalDir ?? Path.Combine(memberDir, "wal"));
        _diskRoom = new DiskRoom(memberDir, config.WalDir ?? Path.Combine(memberDir, "wal"), _logger);
        _configStoragePath = Path.Combine(memberDir, "raft-members.cfg");
        try
        {
            _membership = new Membership(config, memberDir,
                async token => (await _configStorage!.MembersAsync(token).ConfigureAwait(false)).Contains(_peerEndPoint!), _stopping.Token, _logger);
        }
        catch
        {
            _store.Dispose();
            throw;
        }

        _quota = NewQuota();
        _stateMachine = new RaftStateMachine(ApplierChain.New(_store, _alarms, _auth, _quota, Header), _waiters, _store, _alarms, _auth,
            StateMachineCallbacks(), config, Path.Combine(memberDir, "snap"), loggers.CreateLogger("kvstore.apply"));
        // The one place the log's implementation is chosen; everything else holds it as IRaftLogView.
        string walDir = config.WalDir ?? Path.Combine(memberDir, "wal");
        ILogger walLogger = loggers.CreateLogger("kvstore.wal");
        try
        {
            _wal = DataDirException.Wrap(() =>
            {
                if (DotNextLogImport.Needed(walDir))
                    DotNextLogImport.RunAsync(walDir, _stateMachine, walLogger, CancellationToken.None).GetAwaiter().GetResult();
                return new RaftLog(walDir, _stateMachine, walLogger, config.WalSegmentBytes, config.Failpoints);
            }, "cannot open the Raft log at " + walDir);
        }
        catch
        {
            _store.Dispose();
            throw;
        }

        // Members know each other by advertised peer URL (DotNext's member id is its end point); the peer port binds
        // the listen URLs (0.0.0.0 in a pod, the advertised name then being the pod's DNS name).
        var listen = MembershipRecord.ToEndPoint(config.ListenPeerUrls[0]) as IPEndPoint
            ?? throw new ArgumentException($"--listen-peer-urls needs an IP address: {config.ListenPeerUrls[0]}");
        EndPoint peerEndPoint = _peerEndPoint = MembershipRecord.ToEndPoint(config.InitialAdvertisePeerUrls[0]);
        _peerAddresses = new PeerAddresses(config.PeerTls, config.InitialAdvertisePeerUrls[0],
            endPoint => _membership.MemberAt(endPoint)?.PeerUrls.FirstOrDefault());
        _peerClients = new PeerClients(_peerAddresses);
        // DotNext's voters: a file beside the record, written at bootstrap (new cluster) and on every
        // configuration entry applied; a member joining an existing cluster starts with none and waits, frozen,
        // until the leader adds it.
        _configStorage = new EndPointConfigurationStorage(_configStoragePath);
        // Raft connections arrive through the peer port (PeerServer: TLS, then Raft or the Forward service) and
        // leave through RaftDialer (TCP, then TLS when the other member's peer URL is https).
        // A running member answers a (pre-)vote at once; a stopped one never does (VoteDeadlineStream).
        _raftDialer = new RaftDialer(_peerAddresses, TimeSpan.FromMilliseconds(config.ElectionTimeoutMs / 3));
        var raft = new RaftCluster.CustomTransportConfiguration(listen, _raftConnections, _raftDialer)
        {
            // Narrower than etcd's [et, 2et): a follower whose log is longer may time out last, and the election
            // then ends at its timeout (votes are granted from et on, VoterStickiness); 1.5et bounds that, and keeps
            // the expected first timeout of a 3-member cluster's two followers at etcd's 1.33 et.
            LowerElectionTimeout = config.ElectionTimeoutMs,
            UpperElectionTimeout = config.ElectionTimeoutMs * 3 / 2,
            HeartbeatThreshold = Math.Clamp((double)config.HeartbeatIntervalMs / config.ElectionTimeoutMs, 0.01, 0.5),
            // Below the election timeout: a candidate counts its votes only once every member has answered or
            // failed, so a member that hangs (SIGSTOP, a stuck VM: the TCP connection stays open) must fail
            // before the candidate's own timeout, or no election ever completes (DotNext's default is the lower
            // election timeout itself, which races with it).
            RequestTimeout = TimeSpan.FromMilliseconds(config.ElectionTimeoutMs * 3 / 4),
            // As DotNext's TCP transport (the request timeout); the custom transport's default is a heartbeat.
            ConnectTimeout = TimeSpan.FromMilliseconds(config.ElectionTimeoutMs * 3 / 4),
            ColdStart = false,
            LoggerFactory = loggers,
            PublicEndPoint = peerEndPoint,
            ConfigurationStorage = _configStorage,
        };
        // A member joining an existing cluster learns its id from the leader's log, after this is fixed: then
        // the others find it by its end point in the member record.
        if (MemberId != 0) raft.Metadata["member-id"] = MemberId.ToString("x16");
        raft.Metadata["name"] = config.Name;
        raft.Metadata["client-urls"] = string.Join(",", config.AdvertiseClientUrls.Select(u => MembershipRecord.Url(u.ToString())));
        _cluster = new RaftCluster(raft) { AuditTrail = _wal.AuditTrail };
        _wal.HasRoom = _diskRoom.HasRoom;
        _diskRoom.RoomChanged = new DiskFullStandby(_cluster).OnRoomChanged;
        _wal.Clamped = (asked, limit) => Log.CommitClamped(_logger, asked, limit, _wal.LastEntryIndex);
        _link = new LeaderLink(_cluster, _leaderWatch, _peerClients, PeerHeaders, config.HeartbeatIntervalMs);
        _leaderLog = new LeaderLog(_cluster, () => RaftTerm, _stopping.Token);
        _readIndex = new ReadIndex(_cluster, _wal, () => _stateMachine.Restored, _link, () => RaftTerm, () => LeaderId, RequestTimeout,
            _stopping.Token, _logger);
        _forwarder = new Forwarder(_link, _waiters, r => _proposer!.Enqueue(r), RequestTimeout,
            RequestTimeout - TimeSpan.FromMilliseconds(Math.Min(500, config.ElectionTimeoutMs)), _stopping.Token, _logger);
        _proposer = new Proposer(_cluster, _link, _leaderLog, _waiters, _quota.Admits, _forwarder.Enqueue,
            RequestTimeout, _stopping.Token);
        _voterReconciler = new VoterReconciler(_membership, _cluster, _link, _leaderLog, _configStorage, ReadIndexAsync, config, RequestTimeout,
            _logger);
        _membershipChanges = new MembershipChanges(_membership, _link, _leaderLog, token => _configStorage.MembersAsync(token).AsTask(),
            _voterReconciler.ReconcileNow, () => LeaderId, RequestTimeout, config.HeartbeatIntervalMs, _stopping.Token, _logger);
        _leaderTransfer = new LeaderTransfer(_membership, _cluster, _link, () => LeaderId, RequestTimeout, config.HeartbeatIntervalMs,
            _stopping.Token, _logger);
        _leaseKeeper = new LeaseKeeper(_store.Lessor, _link, Header, ProposeAsync, _auth.Root, token => _readIndex.WaitAsync(token),
            RequestTimeout, _stopping.Token, _logger);
        _cluster.LeaderChanged += OnLeaderChanged;
    }

    private readonly LeaderLink _link;
    private readonly LeaderLog _leaderLog;
    private readonly ReadIndex _readIndex;
    private readonly Proposer _proposer;
    private readonly Forwarder _forwarder;
    private readonly LeaseKeeper _leaseKeeper;
    private readonly Membership _membership;
    private readonly MembershipChanges _membershipChanges;
    private readonly VoterReconciler _voterReconciler;
    private readonly LeaderTransfer _leaderTransfer;
    private readonly EndPointConfigurationStorage _configStorage;
    private readonly string _configStoragePath;
    private Task[] _loops = [];

    private readonly RaftStateMachine _stateMachine;
    private readonly EndPoint _peerEndPoint;
    private readonly BackendSize _backendSize;
    private readonly DiskRoom _diskRoom;
    private readonly RaftConnections _raftConnections = new();
    private readonly RaftDialer _raftDialer;
    private readonly LeaderWatch _leaderWatch = new();
    private readonly PeerAddresses _peerAddresses;
    private readonly PeerClients _peerClients;
    private PeerServer? _peerServer;
    private long _nextRequestId; // seeded from the member id and the clock at the first proposal (etcd's idutil)

    /// <summary>Starts the member and waits until its log is replayed into the engine and it has a leader.</summary>
    public static async Task<EtcdServer> StartAsync(ServerConfig config, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var server = new EtcdServer(config, loggers);
        try
        {
            if (server._membership.AdoptedNewPeerUrl) File.Delete(server._configStoragePath);
            Membership membership = server._membership;
            bool bootstrap = !server._configStorage.Exists && membership.Current.AppliedIndex == 0 && membership.Members.Count > 0;
            if (membership.AdoptedNewPeerUrl || bootstrap)
            {
                await server._configStorage.BootstrapAsync(membership.Members.Select(MembershipRecord.EndPointOf), cancellationToken)
                    .ConfigureAwait(false);
            }
            // A new engine checkpoints at once: its files (the hash index is most of them) count in the db size from the start.
            await server._store.EnsureCheckpointedAsync().ConfigureAwait(false);
            await DataDirException.WrapAsync(() => server._wal.InitializeAsync(cancellationToken),
                "cannot open the Raft log at " + (config.WalDir ?? Path.Combine(config.DataDir, "member", "wal"))).ConfigureAwait(false);
            server._appliedIndex = server._wal.LastAppliedIndex;
            if ((await server._configStorage.MembersAsync(cancellationToken).ConfigureAwait(false)).Count == 1 && server.MemberId != 0)
            {
                // DotNext starts a one-member cluster as leader in the stored term without an election; etcd's
                // member campaigns on every start, so each start is a new term (a new leadership) there and here.
                await server._wal.AuditTrail
                    .IncrementTermAsync(ClusterMemberId.FromEndPoint(server._peerEndPoint), cancellationToken).ConfigureAwait(false);
            }
            // What the peer port serves to the other members (PeerService).
            var handlers = new PeerHandlers(server._proposer, server._readIndex, server._leaseKeeper, server._membership, server._membershipChanges,
                server._leaderTransfer);
            server._peerServer = await PeerServer.StartAsync(config, handlers, server._raftConnections, loggers, cancellationToken)
                .ConfigureAwait(false);
            await server._cluster.StartAsync(cancellationToken).ConfigureAwait(false);
            server.StartBackgroundLoops();
            if (!server._membership.Joined.IsCompleted)
            {
                // --initial-cluster-state existing: the leader adds this member (after etcdctl member add) and
                // its log brings the member record, which names this member by its peer URL.
                Log.WaitingToJoin(server._logger);
                await server._membership.Joined.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            // Members of a cluster start at different times (pods in parallel, hosts rebooting): wait for the
            // others as long as it takes, as etcd does, rather than give up after a few election timeouts.
            TimeSpan leaderWait = server.Members.Count > 1 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(config.ElectionTimeoutMs * 10);
            await server._cluster.WaitForLeaderAsync(leaderWait, cancellationToken).ConfigureAwait(false);
            Log.Started(server._logger, config.Name, server.MemberId, server.ClusterId, server._wal.LastAppliedIndex);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public ServerConfig Config { get; }
    /// <summary>The member's MVCC store: the server's own parts and tests read it; clients go through the server.</summary>
    internal MvccStore Store => _store;

    public ulong LeaderId
    {
        get
        {
            if (_cluster.Leader is not { } leader) return 0;
            if (leader.IsRemote is false) return MemberId;
            // By end point in the record: a member that joined learnt its id after its Raft metadata was fixed.
            foreach (MemberInfo m in Members)
            {
                if (MembershipRecord.EndPointOf(m).Equals(leader.EndPoint)) return m.Id;
            }
            return leader.TryGetMetadata() is { } meta && meta.TryGetValue("member-id", out string? id) ? Convert.ToUInt64(id, 16) : 0;
        }
    }

    public bool IsLeader => _cluster.Leader is { IsRemote: false };

    public long RaftTerm => _wal.AuditTrail.Term;
    public long RaftIndex => _wal.LastEntryIndex;
    // Raft's applied index counts every entry (a new leader's no-op too), as etcd's raftAppliedIndex does.
    public long AppliedIndex => Math.Max(Volatile.Read(ref _appliedIndex), _wal.LastAppliedIndex);
    /// <summary>The member's files on disk but the Raft log, plus the records not flushed to them yet (etcd's db size).</summary>
    public long DbSizeBytes => _backendSize.Bytes + _store.UnflushedBytes;

    public ResponseHeader Header(long revision) => new()
    {
        ClusterId = ClusterId, MemberId = MemberId, Revision = revision, RaftTerm = (ulong)RaftTerm,
    };

    internal void OnApplied(long index)
    {
        Volatile.Write(ref _appliedIndex, index);
    }

    private void OnLeaderChanged(ICluster cluster, IClusterMember? leader)
    {
        _leaderWatch.OnChanged();
        if (leader is { IsRemote: false })
        {
            // Terms only grow: read now, it is the term of this leadership unless that is already over (then the
            // term check before each append refuses it).
            _leaderLog.OnBecameLeader(RaftTerm);
            _wal.OnBecameLeader();
            Log.BecameLeader(_logger, MemberId, RaftTerm);
            _leaseKeeper.OnLeaderChanged(leading: true);
            _ = CommitTermStartAsync(_wal.LastEntryIndex);
        }
        else
        {
            _leaseKeeper.OnLeaderChanged(leading: false);
        }
    }

    /// <summary>The cluster and member id every call to another member's peer port carries (<see cref="PeerService"/> checks them).</summary>
    private Metadata PeerHeaders() => new()
    {
        { PeerService.ClusterIdHeader, ClusterId.ToString("x16") },
        { PeerService.MemberIdHeader, MemberId.ToString("x16") },
    };

    /// <inheritdoc/>
    public Task<ServerError> ReadIndexAsync(CancellationToken cancellationToken) => _readIndex.WaitAsync(cancellationToken);

    /// <summary>The lessor's answer to a keep-alive (on the leader's clock, asked of the leader by a follower).</summary>
    internal Task<(LeaseKeepAliveResponse? Response, MvccError MvccError, ServerError Error)> LessorRenewAsync(long id,
        CancellationToken cancellationToken) =>
        _leaseKeeper.RenewAsync(id, cancellationToken);

    /// <summary>The lessor's answer to a time-to-live (on the leader's clock, asked of the leader by a follower).</summary>
    internal Task<(LeaseTimeToLiveResponse? Response, MvccError MvccError, ServerError Error)> LessorTimeToLiveAsync(
        LeaseTimeToLiveRequest request, CancellationToken cancellationToken) =>
        _leaseKeeper.TimeToLiveAsync(request, cancellationToken);

    /// <summary>A snapshot from the leader replaced this member's state (forwarded commands then get the leader's answer).</summary>
    internal void OnSnapshotInstalled() => _forwarder.OnSnapshotInstalled();

    private void StartBackgroundLoops()
    {
        CancellationToken token = _stopping.Token;
        var baseTimeout = TimeSpan.FromMilliseconds(Config.ElectionTimeoutMs);
        _loops =
        [
            Task.Run(() => _proposer.RunAsync(token), token),
            Task.Run(() => _waiters.ExpireLoopAsync(token), token),
            Task.Run(() => _leaseKeeper.RunAsync(token), token),
            Task.Run(() => new AutoCompactor(this, _logger).RunAsync(token), token),
            Task.Run(() => _voterReconciler.RunAsync(token), token),
            Task.Run(() => _forwarder.RunAsync(token), token),
            Task.Run(() => _voterReconciler.FetchMetadataAsync(token), token),
            Task.Run(() => VoterStickiness.RunAsync(_cluster, baseTimeout, () => IsLeader, _raftDialer.MarkSilent, _logger, token), token),
            Task.Run(() => _raftDialer.DropClosedConnectionsAsync(_cluster, _link.RetryInterval, _logger, token), token),
        ];
    }

    private async Task StopBackgroundLoopsAsync()
    {
        _proposer.Complete();
        _forwarder.Complete();
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Replication rounds back to back until the entry that opened this leadership (<paramref name="index"/>, the
    /// no-op) is committed: a follower that missed the old leader's last entries refuses the first round, and
    /// DotNext would send the missing ones only with the next heartbeat; writes and reads wait for this commit.
    /// </summary>
    private async Task CommitTermStartAsync(long index)
    {
        // Not the leadership token: this runs from the LeaderChanged event, before the leader state is complete.
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        bounded.CancelAfter(Config.ElectionTimeoutMs);
        try
        {
            while (_wal.LastCommittedEntryIndex < index && IsLeader && !bounded.IsCancellationRequested)
            {
                try
                {
                    await _cluster.ForceReplicationAsync(bounded.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is NotLeaderException or InvalidOperationException)
                {
                    await Task.Delay(10, bounded.Token).ConfigureAwait(false); // the leader state is still starting
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // not leader any more, stopping, or the heartbeats took over: nothing is waiting on this task
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _waiters.FailAll(ServerError.Stopped);
        try
        {
            await _cluster.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // never started
        }
        await StopBackgroundLoopsAsync().ConfigureAwait(false);
        _cluster.Dispose();
        // Raft connections first: the peer port's stop waits for every connection it handed to Raft.
        await _raftConnections.DisposeAsync().ConfigureAwait(false);
        if (_peerServer is not null) await _peerServer.DisposeAsync().ConfigureAwait(false);
        _peerClients.Dispose();
        await _wal.DisposeAsync().ConfigureAwait(false);
        await _stateMachine.DrainAsync().ConfigureAwait(false);
        _store.Dispose();
        _stopping.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information,
            Message = "append entries: the leader's commit index {Asked} is past the last entry it sent ({Limit}); "
                + "committing up to {Limit} of {Last}")]
        public static partial void CommitClamped(ILogger logger, long asked, long limit, long last);

        [LoggerMessage(Level = LogLevel.Information,
            Message = "member {Name} started: member id {MemberId:x16}, cluster id {ClusterId:x16}, applied index {Applied}")]
        public static partial void Started(ILogger logger, string name, ulong memberId, ulong clusterId, long applied);

        [LoggerMessage(Level = LogLevel.Information, Message = "{MemberId:x16} became leader at term {Term}")]
        public static partial void BecameLeader(ILogger logger, ulong memberId, long term);

        [LoggerMessage(Level = LogLevel.Information,
            Message = "waiting to be added to the existing cluster by its leader (member add, then this member's peer URL)")]
        public static partial void WaitingToJoin(ILogger logger);
    }
}
