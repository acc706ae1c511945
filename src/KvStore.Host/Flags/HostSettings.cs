using System.Globalization;
using KvStore.Server;
using Microsoft.Extensions.Logging;

namespace KvStore.Host.Flags;

/// <summary>Everything the kvstore process runs with: the member's <see cref="ServerConfig"/> and what only the host uses.</summary>
internal sealed record HostSettings
{
    public required ServerConfig Server { get; init; }

    /// <summary>--listen-metrics-urls: extra HTTP/1.1 endpoints serving /metrics and /health.</summary>
    public IReadOnlyList<Uri> ListenMetricsUrls { get; init; } = [];

    /// <summary>--log-level (or --debug).</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>--logger, --log-outputs and the level: where log lines go and how they look.</summary>
    public Logging.LogSettings Log { get; init; } = new();

    /// <summary>--max-concurrent-streams: HTTP/2 streams per client connection.</summary>
    public uint MaxConcurrentStreams { get; init; } = uint.MaxValue;

    /// <summary>--grpc-keepalive-interval: HTTP/2 ping delay on an idle connection (zero: off).</summary>
    public TimeSpan GrpcKeepAliveInterval { get; init; } = TimeSpan.FromHours(2);

    /// <summary>--grpc-keepalive-timeout: how long an unanswered ping keeps the connection.</summary>
    public TimeSpan GrpcKeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Client and peer TLS (the peer half is copied into <see cref="Server"/> once resolved at start).</summary>
    public TlsSettings Tls { get; init; } = new();

    /// <summary>Warnings about the flags' combination (etcd logs them at start: an http URL ignoring the TLS flags...).</summary>
    public IReadOnlyList<StartupNote> Warnings { get; init; } = [];

    /// <summary>
    /// --apiserver-listen-url (with --event-ttl, --service-cluster-ip-range, --service-node-port-range): the apiserver facade, or null.
    /// </summary>
    public KvStore.ApiServer.Http.ApiServerOptions? ApiServer { get; init; }

    /// <summary>
    /// Builds the settings from the given flags and etcd's defaults, with etcd's checks (embed.Config.Validate)
    /// and etcd's messages. <paramref name="fromCommandLine"/>: the flags came from the command line or the
    /// environment (etcd then requires --advertise-client-urls with --listen-client-urls).
    /// </summary>
    public static HostSettings Build(FlagValues flags, bool fromCommandLine)
    {
        var name = flags[EtcdFlags.Name];
        var dataDir = flags[EtcdFlags.DataDir];
        if (dataDir.Length == 0)
        {
            dataDir = name + ".kvstore";
        }
        var walDir = flags[EtcdFlags.WalDir];

        var listenPeer = Urls(flags, EtcdFlags.ListenPeerUrls);
        var listenClient = Urls(flags, EtcdFlags.ListenClientUrls);
        var listenMetrics = Urls(flags, EtcdFlags.ListenMetricsUrls);
        var advertisePeer = Urls(flags, EtcdFlags.InitialAdvertisePeerUrls);
        var advertiseClient = Urls(flags, EtcdFlags.AdvertiseClientUrls);
        foreach (var (flag, urls) in new[] { (EtcdFlags.ListenPeerUrls, listenPeer), (EtcdFlags.ListenClientUrls, listenClient),
            (EtcdFlags.ListenMetricsUrls, listenMetrics) })
        {
            foreach (var url in urls)
            {
                if (!FlagText.IsBindable(url))
                {
                    throw new FlagException($"expected IP in URL for binding ({Text(url)})");
                }
                // Client URLs may be unix sockets (etcd's unix:// and unixs://); Raft needs IP end points.
                if (flag != EtcdFlags.ListenClientUrls && url.Scheme is not ("http" or "https"))
                {
                    throw new FlagException($"--{flag} {Text(url)}: only http and https URLs are served here (unix sockets are for client URLs)");
                }
            }
        }
        var warnings = new List<StartupNote>();
        var tls = TlsSettings.FromFlags(flags, listenClient, listenPeer, listenMetrics, warnings);
        if (fromCommandLine && flags.IsSet(EtcdFlags.ListenClientUrls) && !flags.IsSet(EtcdFlags.AdvertiseClientUrls))
        {
            throw new FlagException("--advertise-client-urls is required when --listen-client-urls is set explicitly");
        }
        if (listenClient.Count == 0)
        {
            throw new FlagException("--listen-client-urls: no valid URLs given");
        }

        // etcd: when only --name is given, the initial cluster is this member alone under that name.
        var initialCluster = flags.IsSet(EtcdFlags.InitialCluster)
            ? flags[EtcdFlags.InitialCluster]
            : string.Join(",", advertisePeer.Select(u => name + "=" + Text(u)));

        var clusterState = flags[EtcdFlags.InitialClusterState];
        if (clusterState is not ("new" or "existing"))
        {
            throw new FlagException($"unexpected clusterState \"{clusterState}\"");
        }

        var tickMs = Uint(flags, EtcdFlags.HeartbeatInterval);
        var electionMs = Uint(flags, EtcdFlags.ElectionTimeout);
        if (tickMs == 0)
        {
            throw new FlagException($"--heartbeat-interval must be >0 (set to {tickMs}ms)");
        }
        if (electionMs == 0)
        {
            throw new FlagException($"--election-timeout must be >0 (set to {electionMs}ms)");
        }
        if (5L * tickMs > electionMs)
        {
            throw new FlagException($"--election-timeout[{electionMs}ms] should be at least as 5 times as --heartbeat-interval[{tickMs}ms]");
        }
        if (electionMs > 50_000)
        {
            throw new FlagException($"--election-timeout[{electionMs}ms] is too long, and should be set less than 50000ms");
        }

        var compactionMode = flags[EtcdFlags.AutoCompactionMode];
        if (compactionMode is not ("" or "periodic" or "revision"))
        {
            throw new FlagException($"unknown auto-compaction-mode \"{compactionMode}\"");
        }

        // etcd's --auth-token: "simple" (the default), "jwt,pub-key=..,priv-key=..,sign-method=..,ttl=.." or ""
        // (no tokens). etcd fails at start with the provider's error ("auth: invalid auth options", "auth: missing
        // key data"...); here the same error stops the member before it opens anything.
        AuthTokenOptions authToken;
        try
        {
            authToken = AuthTokenOptions.Parse(flags[EtcdFlags.AuthToken], text => FlagText.TryParseDuration(text, out var d) ? d : null);
            TokenProviders.Validate(authToken, out _);
        }
        catch (AuthTokenException e)
        {
            throw new FlagException($"--auth-token {flags[EtcdFlags.AuthToken]}: {e.Message}");
        }
        // etcd: a cost outside bcrypt's [4, 31] falls back to the default 10.
        ulong bcryptCost = Uint(flags, EtcdFlags.BcryptCost);
        ulong tokenTtl = Uint(flags, EtcdFlags.AuthTokenTtl);

        var maxRequestBytes = Uint(flags, EtcdFlags.MaxRequestBytes);
        var maxTxnOps = Uint(flags, EtcdFlags.MaxTxnOps);
        var server = new ServerConfig
        {
            Name = name,
            DataDir = dataDir,
            WalDir = walDir.Length == 0 ? null : walDir,
            ListenPeerUrls = listenPeer,
            InitialAdvertisePeerUrls = advertisePeer,
            ListenClientUrls = listenClient,
            AdvertiseClientUrls = advertiseClient,
            InitialCluster = initialCluster,
            InitialClusterState = clusterState,
            InitialClusterToken = flags[EtcdFlags.InitialClusterToken],
            SnapshotCount = (long)Math.Min(ulong.Parse(flags[EtcdFlags.SnapshotCount], CultureInfo.InvariantCulture), long.MaxValue),
            SnapshotCatchUpEntries = (long)Math.Min(ulong.Parse(flags[EtcdFlags.SnapshotCatchUpEntries], CultureInfo.InvariantCulture),
                long.MaxValue),
            HeartbeatIntervalMs = (int)tickMs,
            ElectionTimeoutMs = (int)electionMs,
            QuotaBackendBytes = long.Parse(flags[EtcdFlags.QuotaBackendBytes], CultureInfo.InvariantCulture),
            MaxRequestBytes = (int)Math.Min(maxRequestBytes, int.MaxValue),
            MaxTxnOps = (int)Math.Min(maxTxnOps, int.MaxValue),
            AutoCompactionMode = compactionMode.Length == 0 ? "periodic" : compactionMode,
            AutoCompactionRetention = flags[EtcdFlags.AutoCompactionRetention],
            WatchProgressNotifyInterval = Duration(flags, EtcdFlags.WatchProgressNotifyInterval),
            BcryptCost = bcryptCost is >= 4 and <= 31 ? (int)bcryptCost : 10,
            AuthTokenTtlSeconds = (int)Math.Clamp(tokenTtl, 1UL, int.MaxValue),
            AuthToken = authToken,
            PeerTls = tls.Peer,
            ClientCertAuth = tls.Client.ClientCertAuth,
        };

        var logLevel = LogLevelOf(flags);
        return new HostSettings
        {
            Server = server,
            ListenMetricsUrls = listenMetrics,
            LogLevel = logLevel,
            Log = Logging.LogSettings.FromFlags(flags, logLevel),
            MaxConcurrentStreams = Uint(flags, EtcdFlags.MaxConcurrentStreams),
            GrpcKeepAliveInterval = Duration(flags, EtcdFlags.GrpcKeepAliveInterval),
            GrpcKeepAliveTimeout = Duration(flags, EtcdFlags.GrpcKeepAliveTimeout),
            ApiServer = ApiServerOptionsOf(flags, dataDir),
            Tls = tls,
            Warnings = warnings,
        };
    }

    private static KvStore.ApiServer.Http.ApiServerOptions? ApiServerOptionsOf(FlagValues flags, string dataDir)
    {
        var url = flags[EtcdFlags.ApiServerListenUrl];
        if (url.Length == 0)
        {
            if (ApiServerSecurityFlags.Names.FirstOrDefault(flags.IsSet) is { } name)
            {
                throw new FlagException($"--{name} is a flag of the apiserver facade, which only --{EtcdFlags.ApiServerListenUrl} starts");
            }
            return null;
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var listen) || listen.Scheme is not ("http" or "https") || !FlagText.IsBindable(listen))
        {
            throw new FlagException($"--{EtcdFlags.ApiServerListenUrl} {url}: an http or https URL with an IP to bind is required");
        }
        var range = flags[EtcdFlags.ServiceClusterIpRange];
        var nodePorts = flags[EtcdFlags.ServiceNodePortRange];
        try
        {
            KvStore.ApiServer.Http.ClusterIpRange.Parse(range);
            KvStore.ApiServer.Http.NodePortRange.Parse(nodePorts);
        }
        catch (FormatException e)
        {
            throw new FlagException(e.Message);
        }
        return new KvStore.ApiServer.Http.ApiServerOptions
        {
            ListenUrl = listen,
            EventTtl = Duration(flags, EtcdFlags.EventTtl),
            ServiceClusterIpRange = range,
            ServiceNodePortRange = nodePorts,
            Security = ApiServerSecurityFlags.Of(flags, dataDir, listen),
        };
    }

    /// <summary>
    /// The settings with the TLS certificates in place (auto TLS made under the data dir, every file read once):
    /// throws <see cref="KvStore.Server.Transport.TlsConfigException"/> with etcd's message when one is missing or bad.
    /// </summary>
    public HostSettings WithTlsResolved()
    {
        TlsSettings tls = Tls.Resolve(Server.DataDir, Server.ListenClientUrls, Server.ListenPeerUrls, ListenMetricsUrls);
        return this with
        {
            Tls = tls,
            Server = Server with { PeerTls = tls.Peer, ClientCertAuth = tls.Client.ClientCertAuth },
        };
    }

    /// <summary>A URL as etcd prints it (no trailing slash).</summary>
    public static string Text(Uri url) => url.GetLeftPart(UriPartial.Authority);

    private static LogLevel LogLevelOf(FlagValues flags)
    {
        if (FlagText.TryParseBool(flags[EtcdFlags.Debug], out var debug) && debug)
        {
            return LogLevel.Debug;
        }
        return LogLevelOf(flags[EtcdFlags.LogLevel]);
    }

    /// <summary>etcd's --log-level names (zap's); anything else is refused with etcd's message.</summary>
    internal static LogLevel LogLevelOf(string level) =>
        level switch
        {
            "debug" => LogLevel.Debug,
            "info" => LogLevel.Information,
            "warn" => LogLevel.Warning,
            "error" => LogLevel.Error,
            "dpanic" or "panic" or "fatal" => LogLevel.Critical,
            _ => throw new FlagException($"unknown log level \"{level}\" (--log-level supports debug, info, warn, error, panic, or fatal)"),
        };

    private static IReadOnlyList<Uri> Urls(FlagValues flags, string name) =>
        FlagText.TryParseUrls(flags[name], out var urls, out var error) ? urls : throw new FlagException($"--{name}: {error}");

    private static uint Uint(FlagValues flags, string name) =>
        uint.TryParse(flags[name], NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FlagException($"invalid value \"{flags[name]}\" for flag -{name}: parse error");

    private static TimeSpan Duration(FlagValues flags, string name) =>
        FlagText.TryParseDuration(flags[name], out var value)
            ? value
            : throw new FlagException($"invalid value \"{flags[name]}\" for flag -{name}: time: invalid duration \"{flags[name]}\"");
}

/// <summary>A flag, variable or config file entry that etcd would refuse, with etcd's message.</summary>
internal sealed class FlagException(string message) : Exception(message);
