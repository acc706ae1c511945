namespace KvStore.Host.Flags;

/// <summary>
/// Every flag etcd 3.4 registers (etcdmain/config.go), in its order, with etcd's defaults (client and peer
/// URLs on 127.0.0.1 instead of localhost, the data dir named &lt;name&gt;.kvstore instead of &lt;name&gt;.etcd).
/// </summary>
internal static class EtcdFlags
{
    public const string ConfigFile = "config-file";
    public const string DataDir = "data-dir";
    public const string WalDir = "wal-dir";
    public const string ListenPeerUrls = "listen-peer-urls";
    public const string ListenClientUrls = "listen-client-urls";
    public const string ListenMetricsUrls = "listen-metrics-urls";
    public const string Name = "name";
    public const string SnapshotCount = "snapshot-count";
    public const string HeartbeatInterval = "heartbeat-interval";
    public const string ElectionTimeout = "election-timeout";
    public const string QuotaBackendBytes = "quota-backend-bytes";
    public const string MaxTxnOps = "max-txn-ops";
    public const string MaxRequestBytes = "max-request-bytes";
    public const string GrpcKeepAliveInterval = "grpc-keepalive-interval";
    public const string GrpcKeepAliveTimeout = "grpc-keepalive-timeout";
    public const string MaxConcurrentStreams = "max-concurrent-streams";
    public const string InitialAdvertisePeerUrls = "initial-advertise-peer-urls";
    public const string AdvertiseClientUrls = "advertise-client-urls";
    public const string InitialCluster = "initial-cluster";
    public const string InitialClusterToken = "initial-cluster-token";
    public const string InitialClusterState = "initial-cluster-state";
    public const string Debug = "debug";
    public const string LogLevel = "log-level";
    public const string Logger = "logger";
    public const string LogOutput = "log-output";
    public const string LogOutputs = "log-outputs";
    public const string AutoCompactionRetention = "auto-compaction-retention";
    public const string AutoCompactionMode = "auto-compaction-mode";
    public const string AuthToken = "auth-token";
    public const string BcryptCost = "bcrypt-cost";
    public const string AuthTokenTtl = "auth-token-ttl";
    public const string WatchProgressNotifyInterval = "experimental-watch-progress-notify-interval";
    public const string SnapshotCatchUpEntries = "experimental-snapshot-catchup-entries";

    public const string CertFile = "cert-file";
    public const string KeyFile = "key-file";
    public const string ClientCertAuth = "client-cert-auth";
    public const string ClientCrlFile = "client-crl-file";
    public const string ClientCertAllowedHostname = "client-cert-allowed-hostname";
    public const string TrustedCaFile = "trusted-ca-file";
    public const string AutoTls = "auto-tls";
    public const string PeerCertFile = "peer-cert-file";
    public const string PeerKeyFile = "peer-key-file";
    public const string PeerClientCertAuth = "peer-client-cert-auth";
    public const string PeerTrustedCaFile = "peer-trusted-ca-file";
    public const string PeerAutoTls = "peer-auto-tls";
    public const string PeerCrlFile = "peer-crl-file";
    public const string PeerCertAllowedCn = "peer-cert-allowed-cn";
    public const string PeerCertAllowedHostname = "peer-cert-allowed-hostname";
    public const string CipherSuites = "cipher-suites";
    public const string PeerSkipClientSanVerification = "experimental-peer-skip-client-san-verification";
    public const string SelfSignedCertValidity = "self-signed-cert-validity";

    public const string ApiServerListenUrl = "apiserver-listen-url";
    public const string EventTtl = "event-ttl";
    public const string ServiceClusterIpRange = "service-cluster-ip-range";
    public const string ServiceNodePortRange = "service-node-port-range";
    public const string TlsCertFile = "tls-cert-file";
    public const string TlsPrivateKeyFile = "tls-private-key-file";
    public const string CertDir = "cert-dir";
    public const string ClientCaFile = "client-ca-file";
    public const string TokenAuthFile = "token-auth-file";
    public const string AnonymousAuth = "anonymous-auth";

    public const string DefaultClientUrl = "http://127.0.0.1:2379";
    public const string DefaultPeerUrl = "http://127.0.0.1:2380";

    public static readonly IReadOnlyList<EtcdFlag> All =
    [
        Flag(ConfigFile, FlagKind.String, "",
            "Path to the server configuration file. Note that if a configuration file is provided, " +
            "other command line flags and environment variables will be ignored."),

        // member
        Flag(DataDir, FlagKind.String, "", "Path to the data directory (default: <name>.kvstore)."),
        Flag(WalDir, FlagKind.String, "", "Path to the dedicated wal directory."),
        Flag(ListenPeerUrls, FlagKind.Urls, DefaultPeerUrl, "List of URLs to listen on for peer traffic."),
        Flag(ListenClientUrls, FlagKind.Urls, DefaultClientUrl, "List of URLs to listen on for client traffic."),
        Flag(ListenMetricsUrls, FlagKind.Urls, "", "List of URLs to listen on for the metrics and health endpoints."),
        Ignored("max-snapshots", FlagKind.Uint, "5", "Maximum number of snapshot files to retain (0 is unlimited)."),
        Ignored("max-wals", FlagKind.Uint, "5", "Maximum number of wal files to retain (0 is unlimited)."),
        Flag(Name, FlagKind.String, "default", "Human-readable name for this member."),
        Flag(SnapshotCount, FlagKind.Uint64, "100000", "Number of committed transactions to trigger a snapshot to disk."),
        Flag(HeartbeatInterval, FlagKind.Uint, "100", "Time (in milliseconds) of a heartbeat interval."),
        Flag(ElectionTimeout, FlagKind.Uint, "1000", "Time (in milliseconds) for an election to timeout."),
        Ignored("initial-election-tick-advance", FlagKind.Bool, "true",
            "Whether to fast-forward initial election ticks on boot for faster election."),
        Flag(QuotaBackendBytes, FlagKind.Int64, "0", "Raise alarms when backend size exceeds the given quota. 0 means use the default quota."),
        Ignored("backend-batch-interval", FlagKind.Duration, "0s", "BackendBatchInterval is the maximum time before commit the backend transaction."),
        Ignored("backend-batch-limit", FlagKind.Int, "0", "BackendBatchLimit is the maximum operations before commit the backend transaction."),
        Flag(MaxTxnOps, FlagKind.Uint, "128", "Maximum number of operations permitted in a transaction."),
        Flag(MaxRequestBytes, FlagKind.Uint, "1572864", "Maximum client request size in bytes the server will accept."),
        Ignored("grpc-keepalive-min-time", FlagKind.Duration, "5s", "Minimum interval duration that a client should wait before pinging server."),
        Flag(GrpcKeepAliveInterval, FlagKind.Duration, "2h0m0s",
            "Frequency duration of server-to-client ping to check if a connection is alive (0 to disable)."),
        Flag(GrpcKeepAliveTimeout, FlagKind.Duration, "20s",
            "Additional duration of wait before closing a non-responsive connection (0 to disable)."),
        Flag(MaxConcurrentStreams, FlagKind.Uint, "4294967295", "Maximum concurrent streams that each client can open at a time."),

        // clustering
        Flag(InitialAdvertisePeerUrls, FlagKind.Urls, DefaultPeerUrl, "List of this member's peer URLs to advertise to the rest of the cluster."),
        Flag(AdvertiseClientUrls, FlagKind.Urls, DefaultClientUrl, "List of this member's client URLs to advertise to the public."),
        Ignored("discovery", FlagKind.String, "", "Discovery URL used to bootstrap the cluster."),
        Ignored("discovery-fallback", FlagKind.String, "proxy", "Valid values include [\"exit\" \"proxy\"]."),
        Ignored("discovery-proxy", FlagKind.String, "", "HTTP proxy to use for traffic to discovery service."),
        Ignored("discovery-srv", FlagKind.String, "", "DNS domain used to bootstrap initial cluster."),
        Ignored("discovery-srv-name", FlagKind.String, "", "Service name to query when using DNS discovery."),
        Flag(InitialCluster, FlagKind.String, "default=" + DefaultPeerUrl, "Initial cluster configuration for bootstrapping."),
        Flag(InitialClusterToken, FlagKind.String, "etcd-cluster", "Initial cluster token for the etcd cluster during bootstrap."),
        Flag(InitialClusterState, FlagKind.String, "new", "Initial cluster state ('new' or 'existing')."),
        Ignored("strict-reconfig-check", FlagKind.Bool, "true", "Reject reconfiguration requests that would cause quorum loss."),
        Ignored("enable-v2", FlagKind.Bool, "false", "Accept etcd V2 client requests."),
        Ignored("pre-vote", FlagKind.Bool, "false", "Enable to run an additional Raft election phase."),

        // proxy
        Ignored("proxy", FlagKind.String, "off", "Valid values include [\"off\" \"readonly\" \"on\"]."),
        Ignored("proxy-failure-wait", FlagKind.Uint, "5000", "Time (in milliseconds) an endpoint will be held in a failed state."),
        Ignored("proxy-refresh-interval", FlagKind.Uint, "30000", "Time (in milliseconds) of the endpoints refresh interval."),
        Ignored("proxy-dial-timeout", FlagKind.Uint, "1000", "Time (in milliseconds) for a dial to timeout."),
        Ignored("proxy-write-timeout", FlagKind.Uint, "5000", "Time (in milliseconds) for a write to timeout."),
        Ignored("proxy-read-timeout", FlagKind.Uint, "0", "Time (in milliseconds) for a read to timeout."),

        // security
        Flag(CertFile, FlagKind.String, "", "Path to the client server TLS cert file."),
        Flag(KeyFile, FlagKind.String, "", "Path to the client server TLS key file."),
        Flag(ClientCertAuth, FlagKind.Bool, "false", "Enable client cert authentication."),
        Flag(ClientCrlFile, FlagKind.String, "", "Path to the client certificate revocation list file."),
        Flag(ClientCertAllowedHostname, FlagKind.String, "", "Allowed TLS hostname for client cert authentication."),
        Flag(TrustedCaFile, FlagKind.String, "", "Path to the client server TLS trusted CA cert file."),
        Flag(AutoTls, FlagKind.Bool, "false", "Client TLS using generated certificates"),
        Flag(PeerCertFile, FlagKind.String, "", "Path to the peer server TLS cert file."),
        Flag(PeerKeyFile, FlagKind.String, "", "Path to the peer server TLS key file."),
        Flag(PeerClientCertAuth, FlagKind.Bool, "false", "Enable peer client cert authentication."),
        Flag(PeerTrustedCaFile, FlagKind.String, "", "Path to the peer server TLS trusted CA file."),
        Flag(PeerAutoTls, FlagKind.Bool, "false", "Peer TLS using generated certificates"),
        Flag(PeerCrlFile, FlagKind.String, "", "Path to the peer certificate revocation list file."),
        Flag(PeerCertAllowedCn, FlagKind.String, "", "Allowed CN for inter peer authentication."),
        Flag(PeerCertAllowedHostname, FlagKind.String, "", "Allowed TLS hostname for inter peer authentication."),
        Flag(CipherSuites, FlagKind.Strings, "",
            "Comma-separated list of supported TLS cipher suites between client/server and peers (empty will be auto-populated by Go)."),
        Flag(PeerSkipClientSanVerification, FlagKind.Bool, "false", "Skip verification of SAN field in client certificate for peer connections."),
        Flag(SelfSignedCertValidity, FlagKind.Uint, "1",
            "The validity period of the client and peer certificates generated by --auto-tls and --peer-auto-tls, in years (etcd 3.5's flag)."),
        Ignored("cors", FlagKind.Strings, "*",
            "Comma-separated white list of origins for CORS, or cross-origin resource sharing, (empty or * means allow all)"),
        Ignored("host-whitelist", FlagKind.Strings, "*",
            "Comma-separated acceptable hostnames from HTTP client requests, if server is not secure (empty means allow all)."),

        // logging
        Flag(Logger, FlagKind.String, "",
            "Specify 'zap' for structured logging (JSON) or 'capnslog' (text lines); unset: text on a terminal, JSON otherwise."),
        Flag(LogOutput, FlagKind.Strings, "default", "[TO BE DEPRECATED IN v3.5] use '--log-outputs'."),
        Flag(LogOutputs, FlagKind.Strings, "default",
            "Specify 'stdout' or 'stderr' ('default' is stderr), or list of comma separated output targets (file paths, appended to)."),
        Flag(Debug, FlagKind.Bool, "false", "[TO BE DEPRECATED IN v3.5] Enable debug-level logging for etcd. Use '--log-level=debug' instead."),
        Flag(LogLevel, FlagKind.String, "info", "Configures log level. Only supports debug, info, warn, error, panic, or fatal. Default 'info'."),
        Ignored("log-package-levels", FlagKind.String, "",
            "[TO BE DEPRECATED IN v3.5] Specify a particular log level for each etcd package (eg: 'etcdmain=CRITICAL,etcdserver=DEBUG')."),

        // auto compaction
        Flag(AutoCompactionRetention, FlagKind.String, "0", "Auto compaction retention for mvcc key value store. 0 means disable auto compaction."),
        Flag(AutoCompactionMode, FlagKind.String, "periodic",
            "interpret 'auto-compaction-retention' one of: periodic|revision. 'periodic' for duration based retention, " +
            "defaulting to hours if no time unit is provided (e.g. '5m'). 'revision' for revision number based retention."),

        // pprof profiler, metrics, auth, gateway
        Ignored("enable-pprof", FlagKind.Bool, "false",
            "Enable runtime profiling data via HTTP server. Address is at client URL + \"/debug/pprof/\""),
        Ignored("metrics", FlagKind.String, "basic", "Set level of detail for exported metrics, specify 'extensive' to include histogram metrics"),
        Flag(AuthToken, FlagKind.String, "simple", "Specify auth token specific options."),
        Flag(BcryptCost, FlagKind.Uint, "10", "Specify bcrypt algorithm cost factor for auth password hashing."),
        Flag(AuthTokenTtl, FlagKind.Uint, "300", "The lifetime in seconds of the auth token."),
        Ignored("enable-grpc-gateway", FlagKind.Bool, "true", "Enable GRPC gateway."),

        // experimental
        Ignored("experimental-initial-corrupt-check", FlagKind.Bool, "false",
            "Enable to check data corruption before serving any client/peer traffic."),
        Ignored("experimental-corrupt-check-time", FlagKind.Duration, "0s", "Duration of time between cluster corruption check passes."),
        Ignored("experimental-enable-v2v3", FlagKind.String, "", "v3 prefix for serving emulated v2 state."),
        Ignored("experimental-backend-bbolt-freelist-type", FlagKind.String, "map",
            "ExperimentalBackendFreelistType specifies the type of freelist that boltdb backend uses(array and map are supported types)"),
        Ignored("experimental-enable-lease-checkpoint", FlagKind.Bool, "false",
            "Enable to persist lease remaining TTL to prevent indefinite auto-renewal of long lived leases."),
        Ignored("experimental-enable-lease-checkpoint-persist", FlagKind.Bool, "false",
            "Enable persisting remainingTTL to prevent indefinite auto-renewal of long lived leases."),
        Ignored("experimental-compaction-batch-limit", FlagKind.Int, "1000", "Sets the maximum revisions deleted in each compaction batch."),
        Flag(WatchProgressNotifyInterval, FlagKind.Duration, "10m0s", "Duration of periodic watch progress notifications."),
        Flag(SnapshotCatchUpEntries, FlagKind.Uint64, "5000",
            "Number of entries for a slow follower to catch up after compacting the raft storage entries."),
        Ignored("experimental-warning-apply-duration", FlagKind.Duration, "100ms",
            "Time duration after which a warning is generated if request takes more time."),

        // kvstore's apiserver facade (kube-apiserver's flags of the same names)
        Flag(ApiServerListenUrl, FlagKind.String, "",
            "Serve the Kubernetes-style REST API (what kubectl talks to) from this member on this URL: https://IP:PORT (TLS, e.g. " +
            "https://127.0.0.1:6443) or http://IP:PORT."),
        Flag(EventTtl, FlagKind.Duration, "1h0m0s", "Amount of time to retain events (apiserver facade)."),
        Flag(ServiceClusterIpRange, FlagKind.String, "10.96.0.0/12",
            "A CIDR notation IP range from which to assign service cluster IPs (apiserver facade)."),
        Flag(ServiceNodePortRange, FlagKind.String, "30000-32767",
            "A port range to reserve for services with NodePort visibility. Example: '30000-32767'. " +
            "Inclusive at both ends of the range (apiserver facade)."),
        Flag(TlsCertFile, FlagKind.String, "",
            "File containing the default x509 Certificate for HTTPS (CA cert, if any, concatenated after server cert). " +
            "If not given with an https --apiserver-listen-url, a self-signed certificate and key are generated and saved to --cert-dir (apiserver " +
            "facade)."),
        Flag(TlsPrivateKeyFile, FlagKind.String, "", "File containing the default x509 private key matching --tls-cert-file (apiserver facade)."),
        Flag(CertDir, FlagKind.String, "",
            "The directory where the self-signed apiserver.crt/apiserver.key are kept (default: <data-dir>/fixtures/apiserver). " +
            "Ignored with --tls-cert-file and --tls-private-key-file (apiserver facade)."),
        Flag(ClientCaFile, FlagKind.String, "",
            "If set, any request presenting a client certificate signed by one of the authorities in the client-ca-file is authenticated with an " +
            "identity corresponding to the CommonName of the client certificate (apiserver facade)."),
        Flag(TokenAuthFile, FlagKind.String, "",
            "If set, the file that will be used to secure the secure port of the API server via token authentication (apiserver facade)."),
        Flag(AnonymousAuth, FlagKind.Bool, "true",
            "Enables anonymous requests to the secure port of the API server. " +
            "Requests that are not rejected by another authentication method are treated as anonymous requests (apiserver facade)."),

        // unsafe
        Ignored("unsafe-no-fsync", FlagKind.Bool, "false", "Disables fsync, unsafe, will cause data loss."),
        Ignored("force-new-cluster", FlagKind.Bool, "false", "Force to create a new one member cluster."),

        // flags etcd itself only accepts and ignores (etcd 0.4 leftovers)
        Ignored("cluster-active-size", FlagKind.Bool, "", ""),
        Ignored("cluster-remove-delay", FlagKind.Bool, "", ""),
        Ignored("cluster-sync-interval", FlagKind.Bool, "", ""),
        Ignored("config", FlagKind.Bool, "", ""),
        Ignored("force", FlagKind.Bool, "", ""),
        Ignored("max-result-buffer", FlagKind.Bool, "", ""),
        Ignored("max-retry-attempts", FlagKind.Bool, "", ""),
        Ignored("peer-heartbeat-interval", FlagKind.Bool, "", ""),
        Ignored("peer-election-timeout", FlagKind.Bool, "", ""),
        Ignored("retry-interval", FlagKind.Bool, "", ""),
        Ignored("snapshot", FlagKind.Bool, "", ""),
        Ignored("v", FlagKind.Bool, "", ""),
        Ignored("vv", FlagKind.Bool, "", ""),
    ];

    private static readonly Dictionary<string, EtcdFlag> ByName = All.ToDictionary(f => f.Name, StringComparer.Ordinal);

    public static EtcdFlag? Find(string name) => ByName.GetValueOrDefault(name);

    public static EtcdFlag Get(string name) => ByName[name];

    private static EtcdFlag Flag(string name, FlagKind kind, string defaultValue, string usage) => new(name, kind, defaultValue, true, usage);

    private static EtcdFlag Ignored(string name, FlagKind kind, string defaultValue, string usage) => new(name, kind, defaultValue, false, usage);
}
