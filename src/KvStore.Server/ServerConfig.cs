namespace KvStore.Server;

/// <summary>
/// One member's settings, named after etcd's flags (etcd's defaults). The host maps flags, ETCD_* variables
/// and the config file onto it.
/// </summary>
public sealed record ServerConfig
{
    /// <summary>--name</summary>
    public string Name { get; init; } = "default";

    /// <summary>--data-dir</summary>
    public string DataDir { get; init; } = "default.kvstore";

    /// <summary>--wal-dir (empty: &lt;data-dir&gt;/member/wal)</summary>
    public string? WalDir { get; init; }

    /// <summary>--listen-peer-urls</summary>
    public IReadOnlyList<Uri> ListenPeerUrls { get; init; } = [new("http://127.0.0.1:2380")];

    /// <summary>--initial-advertise-peer-urls</summary>
    public IReadOnlyList<Uri> InitialAdvertisePeerUrls { get; init; } = [new("http://127.0.0.1:2380")];

    /// <summary>--listen-client-urls</summary>
    public IReadOnlyList<Uri> ListenClientUrls { get; init; } = [new("http://127.0.0.1:2379")];

    /// <summary>--advertise-client-urls</summary>
    public IReadOnlyList<Uri> AdvertiseClientUrls { get; init; } = [new("http://127.0.0.1:2379")];

    /// <summary>
    /// --peer-cert-file, --peer-key-file, --peer-trusted-ca-file, --peer-client-cert-auth, --peer-crl-file,
    /// --peer-auto-tls...: TLS on https peer URLs, for Raft and every member-to-member call.
    /// </summary>
    public Transport.TlsInfo PeerTls { get; init; } = Transport.TlsInfo.None;

    /// <summary>
    /// --client-cert-auth: a verified client certificate's CN is the user of a call without a token (etcd's
    /// ClientCertAuthEnabled).
    /// </summary>
    public bool ClientCertAuth { get; init; }

    /// <summary>--initial-cluster (name=peerURL,...); empty: this member alone.</summary>
    public string InitialCluster { get; init; } = "default=http://127.0.0.1:2380";

    /// <summary>--initial-cluster-state: new or existing.</summary>
    public string InitialClusterState { get; init; } = "new";

    /// <summary>--initial-cluster-token</summary>
    public string InitialClusterToken { get; init; } = "etcd-cluster";

    /// <summary>
    /// --snapshot-count: applied commands (etcd: committed requests; our Raft entries are batches of them) between
    /// Raft snapshots (log compaction).
    /// </summary>
    public long SnapshotCount { get; init; } = 100_000;

    /// <summary>
    /// --experimental-snapshot-catchup-entries: Raft entries the log keeps behind a snapshot, so that a follower that
    /// lags by fewer catches up from the log instead of by another snapshot (etcd's SnapshotCatchUpEntries, 5000).
    /// </summary>
    public long SnapshotCatchUpEntries { get; init; } = 5000;

    /// <summary>
    /// The Raft log's segment size, preallocated (etcd's wal.SegmentSizeBytes, 64 MiB, also not a flag there); the log is
    /// reclaimed a whole segment at a time, so tests of reclaiming set it small.
    /// </summary>
    public long WalSegmentBytes { get; init; } = KvStore.Wal.WalOptions.DefaultSegmentBytes;

    /// <summary>Fault points armed at run time by tests (<see cref="Server.Failpoints"/>); null in production.</summary>
    public Failpoints? Failpoints { get; init; }

    /// <summary>--heartbeat-interval in milliseconds.</summary>
    public int HeartbeatIntervalMs { get; init; } = 100;

    /// <summary>--election-timeout in milliseconds.</summary>
    public int ElectionTimeoutMs { get; init; } = 1000;

    /// <summary>--quota-backend-bytes (0: etcd's default 2 GiB).</summary>
    public long QuotaBackendBytes { get; init; }

    /// <summary>--max-request-bytes</summary>
    public int MaxRequestBytes { get; init; } = 1536 * 1024;

    /// <summary>--max-txn-ops</summary>
    public int MaxTxnOps { get; init; } = 128;

    /// <summary>--auto-compaction-mode: periodic or revision.</summary>
    public string AutoCompactionMode { get; init; } = "periodic";

    /// <summary>--auto-compaction-retention ("0": off; periodic: hours or a duration like 5m; revision: a count).</summary>
    public string AutoCompactionRetention { get; init; } = "0";

    /// <summary>How often revision mode compacts: etcd's 5 minutes (shorter in AutoCompactorTests.RevisionModeKeepsTheRetention).</summary>
    internal TimeSpan AutoCompactionRevisionInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>--auth-token: the token provider (simple, jwt with its keys, sign method and ttl, or "" for none).</summary>
    public AuthTokenOptions AuthToken { get; init; } = AuthTokenOptions.Simple;

    /// <summary>--auth-token-ttl in seconds: a simple token lives this long after its last use.</summary>
    public int AuthTokenTtlSeconds { get; init; } = 300;

    /// <summary>--bcrypt-cost: cost of the bcrypt hash of auth passwords.</summary>
    public int BcryptCost { get; init; } = 10;

    /// <summary>Interval of progress notifications for watchers that asked for them (etcd: 10 minutes).</summary>
    public TimeSpan WatchProgressNotifyInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The etcd quota default when --quota-backend-bytes is 0 (2 GiB).</summary>
    public long EffectiveQuotaBytes => QuotaBackendBytes > 0 ? QuotaBackendBytes : 2L << 30;

    /// <summary>Minimum lease TTL in seconds: ceil(1.5 x election timeout), as etcd.</summary>
    public long MinLeaseTtlSeconds => (long)Math.Ceiling(3.0 * ElectionTimeoutMs / 2 / 1000);
}
