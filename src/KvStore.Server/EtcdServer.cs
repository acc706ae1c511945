using System.Net;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Etcdserverpb;
using KvStore.Mvcc;
using Microsoft.Extensions.Logging;

namespace KvStore.Server;

/// <summary>
/// One kvstore member (etcd's EtcdServer): a DotNext Raft node over TCP on the peer URL with its
/// write-ahead log in the data dir, a state machine applying committed commands to the MVCC engine,
/// proposal batching, read index, and the lessor. A single member is a cluster of one.
/// </summary>
public sealed partial class EtcdServer : IEtcdServer, IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly MvccStore _store;
    private readonly WriteAheadLog _wal;
    private readonly RaftCluster _cluster;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<MemberInfo> _members;
    private long _appliedIndex;
    private bool _disposed;

    private EtcdServer(ServerConfig config, ILoggerFactory loggers)
    {
        Config = config;
        _logger = loggers.CreateLogger("kvstore.server");
        string memberDir = Path.Combine(config.DataDir, "member");
        _store = MvccStore.Open(new MvccOptions
        {
            Directory = memberDir,
            MaxTxnOps = config.MaxTxnOps,
            MinLeaseTtl = config.MinLeaseTtlSeconds,
        });

        var initial = MemberIds.ParseInitialCluster(config.InitialCluster);
        _members = initial
            .Select(m => new MemberInfo(MemberIds.Member(m.PeerUrls, config.InitialClusterToken), m.Name, m.PeerUrls,
                m.Name == config.Name ? config.AdvertiseClientUrls.Select(u => u.ToString().TrimEnd('/')).ToList() : []))
            .ToList();
        MemberInfo self = _members.FirstOrDefault(m => m.Name == config.Name)
            ?? throw new ArgumentException($"--initial-cluster has no member named '{config.Name}'");
        MemberId = self.Id;
        ClusterId = MemberIds.Cluster(_members.Select(m => m.Id));

        _stateMachine = new RaftStateMachine(this, loggers.CreateLogger("kvstore.apply"));
        _wal = new WriteAheadLog(new WriteAheadLog.Options
        {
            Location = config.WalDir ?? Path.Combine(memberDir, "wal"),
            ChunkSize = 512 * 1024,
        }, _stateMachine);

        // Raft knows every member (this one too) by its advertised peer URL from --initial-cluster, the address
        // the others dial; this member listens on --listen-peer-urls, which differs behind a proxy or NAT.
        IPEndPoint peerEndPoint = _peerEndPoint = ToEndPoint(new Uri(self.PeerUrls[0]));
        var storage = new EndPointConfigurationStorage();
        var builder = storage.CreateInitialConfigurationBuilder();
        foreach (MemberInfo m in _members) builder.Add(ToEndPoint(new Uri(m.PeerUrls[0])));
        builder.Build();
        var raft = new RaftCluster.TcpConfiguration(ToEndPoint(config.ListenPeerUrls[0]))
        {
            LowerElectionTimeout = config.ElectionTimeoutMs,
            UpperElectionTimeout = config.ElectionTimeoutMs * 2,
            HeartbeatThreshold = Math.Clamp((double)config.HeartbeatIntervalMs / config.ElectionTimeoutMs, 0.01, 0.5),
            // Below the election timeout: a candidate counts its votes only once every member has answered or
            // failed, so a member that hangs (SIGSTOP, a stuck VM: the TCP connection stays open) must fail
            // before the candidate's own timeout, or no election ever completes (DotNext's default is the lower
            // election timeout itself, which races with it).
            RequestTimeout = TimeSpan.FromMilliseconds(config.ElectionTimeoutMs * 3 / 4),
            ColdStart = false,
            LoggerFactory = loggers,
            PublicEndPoint = peerEndPoint,
            ConfigurationStorage = storage,
        };
        raft.Metadata["member-id"] = MemberId.ToString("x16");
        raft.Metadata["client-urls"] = string.Join(",", self.ClientUrls);
        _cluster = new RaftCluster(raft) { AuditTrail = _wal };
        _cluster.LeaderChanged += OnLeaderChanged;
    }

    private readonly RaftStateMachine _stateMachine;
    private readonly IPEndPoint _peerEndPoint;

    /// <summary>Starts the member and waits until its log is replayed into the engine and it has a leader.</summary>
    public static async Task<EtcdServer> StartAsync(ServerConfig config, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        ServerMetrics.EnsureStarted();
        var server = new EtcdServer(config, loggers);
        try
        {
            await server._wal.InitializeAsync(cancellationToken).ConfigureAwait(false);
            server._appliedIndex = server._wal.LastAppliedIndex;
            if (server._members.Count == 1)
            {
                // DotNext starts a one-member cluster as leader in the stored term without an election; etcd's
                // member campaigns on every start, so each start is a new term (a new leadership) there and here.
                await ((IPersistentState)server._wal)
                    .IncrementTermAsync(ClusterMemberId.FromEndPoint(server._peerEndPoint), cancellationToken).ConfigureAwait(false);
            }
            await server._cluster.StartAsync(cancellationToken).ConfigureAwait(false);
            server.StartBackgroundLoops();
            // A member of several waits for its peers as long as it takes (etcd does): they start when they start.
            TimeSpan leaderWait = server._members.Count == 1 ? TimeSpan.FromMilliseconds(config.ElectionTimeoutMs * 10) : Timeout.InfiniteTimeSpan;
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

    private static IPEndPoint ToEndPoint(Uri url)
    {
        IPAddress address = url.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(url.Host);
        return new IPEndPoint(address, url.Port);
    }

    public ServerConfig Config { get; }
    public ulong ClusterId { get; }
    public ulong MemberId { get; }
    public MvccStore Store => _store;
    public IReadOnlyList<MemberInfo> Members => MembersWithClientUrls();

    public ulong LeaderId
    {
        get
        {
            if (_cluster.Leader is not { } leader) return 0;
            if (leader.IsRemote is false) return MemberId;
            if (leader.TryGetMetadata() is { } meta && meta.TryGetValue("member-id", out string? id)) return Convert.ToUInt64(id, 16);
            return MemberAt(leader.EndPoint)?.Id ?? 0;
        }
    }

    public bool IsLeader => _cluster.Leader is { IsRemote: false };

    public long RaftTerm => ((IPersistentState)_wal).Term;
    public long RaftIndex => _wal.LastEntryIndex;
    // Raft's applied index counts every entry (a new leader's no-op too), as etcd's raftAppliedIndex does.
    public long AppliedIndex => Math.Max(Volatile.Read(ref _appliedIndex), _wal.LastAppliedIndex);
    public long DbSizeBytes => _store.StorageSizeBytes;

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
        if (leader is { IsRemote: false })
        {
            Log.BecameLeader(_logger, MemberId, RaftTerm);
            _store.PromoteLeases(Environment.TickCount64); // etcd: a new leader extends every lease by its TTL
        }
        else
        {
            _store.DemoteLeases();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await _stopping.CancelAsync().ConfigureAwait(false);
        FailAllWaiters(ServerError.Stopped);
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
        DisposeForwardClients();
        await _wal.DisposeAsync().ConfigureAwait(false);
        _store.Dispose();
        _stopping.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "member {Name} started: member id {MemberId:x16}, cluster id {ClusterId:x16}, applied index {Applied}")]
        public static partial void Started(ILogger logger, string name, ulong memberId, ulong clusterId, long applied);

        [LoggerMessage(Level = LogLevel.Information, Message = "{MemberId:x16} became leader at term {Term}")]
        public static partial void BecameLeader(ILogger logger, ulong memberId, long term);
    }
}
