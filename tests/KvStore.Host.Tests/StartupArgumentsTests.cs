using System.Collections;
using KvStore.Host.Flags;
using Microsoft.Extensions.Logging;

namespace KvStore.Host.Tests;

/// <summary>Flag parsing as etcd's etcdmain does it, table by table (in process).</summary>
public sealed class StartupArgumentsTests
{
    private static StartupCommand Parse(string[] args, IDictionary? environment = null) =>
        StartupArguments.Parse(args, environment ?? new Hashtable());

    private static StartupCommand.Run Run(string[] args, IDictionary? environment = null) =>
        Assert.IsType<StartupCommand.Run>(Parse(args, environment));

    private static StartupCommand.Exit Exit(string[] args, IDictionary? environment = null) =>
        Assert.IsType<StartupCommand.Exit>(Parse(args, environment));

    [Fact]
    public void No_flags_give_etcds_defaults()
    {
        var settings = Run([]).Settings;
        var server = settings.Server;

        Assert.Equal("default", server.Name);
        Assert.Equal("default.kvstore", server.DataDir);
        Assert.Null(server.WalDir);
        Assert.Equal([new Uri("http://127.0.0.1:2379")], server.ListenClientUrls);
        Assert.Equal([new Uri("http://127.0.0.1:2379")], server.AdvertiseClientUrls);
        Assert.Equal([new Uri("http://127.0.0.1:2380")], server.ListenPeerUrls);
        Assert.Equal([new Uri("http://127.0.0.1:2380")], server.InitialAdvertisePeerUrls);
        Assert.Equal("default=http://127.0.0.1:2380", server.InitialCluster);
        Assert.Equal("new", server.InitialClusterState);
        Assert.Equal("etcd-cluster", server.InitialClusterToken);
        Assert.Equal(100_000, server.SnapshotCount);
        Assert.Equal(100, server.HeartbeatIntervalMs);
        Assert.Equal(1000, server.ElectionTimeoutMs);
        Assert.Equal(0, server.QuotaBackendBytes);
        Assert.Equal(1536 * 1024, server.MaxRequestBytes);
        Assert.Equal(128, server.MaxTxnOps);
        Assert.Equal("periodic", server.AutoCompactionMode);
        Assert.Equal("0", server.AutoCompactionRetention);
        Assert.Equal(TimeSpan.FromMinutes(10), server.WatchProgressNotifyInterval);
        Assert.Empty(settings.ListenMetricsUrls);
        Assert.Equal(LogLevel.Information, settings.LogLevel);
        Assert.Equal(uint.MaxValue, settings.MaxConcurrentStreams);
        Assert.Equal(TimeSpan.FromHours(2), settings.GrpcKeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(20), settings.GrpcKeepAliveTimeout);
    }

    [Fact]
    public void Every_supported_flag_reaches_the_settings()
    {
        var settings = Run(
        [
            "--name", "m1", "--data-dir", "/var/lib/kv", "--wal-dir", "/wal",
            "--listen-client-urls", "http://127.0.0.1:1,http://0.0.0.0:2", "--advertise-client-urls", "http://10.0.0.1:1",
            "--listen-peer-urls", "http://127.0.0.1:3", "--initial-advertise-peer-urls", "http://10.0.0.1:3",
            "--initial-cluster", "m1=http://10.0.0.1:3,m2=http://10.0.0.2:3", "--initial-cluster-state", "existing",
            "--initial-cluster-token", "tok", "--snapshot-count", "5000", "--heartbeat-interval", "50",
            "--election-timeout", "500", "--quota-backend-bytes", "1048576", "--max-request-bytes", "4096",
            "--max-txn-ops", "16", "--auto-compaction-mode", "revision", "--auto-compaction-retention", "1000",
            "--listen-metrics-urls", "http://127.0.0.1:4", "--log-level", "warn",
            "--max-concurrent-streams", "64", "--grpc-keepalive-interval", "30s", "--grpc-keepalive-timeout", "5s",
            "--experimental-watch-progress-notify-interval", "1m30s",
        ]).Settings;
        var server = settings.Server;

        Assert.Equal("m1", server.Name);
        Assert.Equal("/var/lib/kv", server.DataDir);
        Assert.Equal("/wal", server.WalDir);
        Assert.Equal([new Uri("http://127.0.0.1:1"), new Uri("http://0.0.0.0:2")], server.ListenClientUrls);
        Assert.Equal([new Uri("http://10.0.0.1:1")], server.AdvertiseClientUrls);
        Assert.Equal([new Uri("http://127.0.0.1:3")], server.ListenPeerUrls);
        Assert.Equal([new Uri("http://10.0.0.1:3")], server.InitialAdvertisePeerUrls);
        Assert.Equal("m1=http://10.0.0.1:3,m2=http://10.0.0.2:3", server.InitialCluster);
        Assert.Equal("existing", server.InitialClusterState);
        Assert.Equal("tok", server.InitialClusterToken);
        Assert.Equal(5000, server.SnapshotCount);
        Assert.Equal(50, server.HeartbeatIntervalMs);
        Assert.Equal(500, server.ElectionTimeoutMs);
        Assert.Equal(1048576, server.QuotaBackendBytes);
        Assert.Equal(4096, server.MaxRequestBytes);
        Assert.Equal(16, server.MaxTxnOps);
        Assert.Equal("revision", server.AutoCompactionMode);
        Assert.Equal("1000", server.AutoCompactionRetention);
        Assert.Equal(TimeSpan.FromSeconds(90), server.WatchProgressNotifyInterval);
        Assert.Equal([new Uri("http://127.0.0.1:4")], settings.ListenMetricsUrls);
        Assert.Equal(LogLevel.Warning, settings.LogLevel);
        Assert.Equal(64u, settings.MaxConcurrentStreams);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.GrpcKeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.GrpcKeepAliveTimeout);
    }

    [Theory]
    [InlineData("--name=x", "x")]
    [InlineData("-name=x", "x")]
    [InlineData("-name x", "x")]
    [InlineData("--name x --name y", "y")] // Go's flag package: the last one wins
    [InlineData("--name x --debug=f", "x")]
    [InlineData("--debug=T --name x", "x")]
    public void Flags_are_written_as_go_accepts_them(string line, string name)
    {
        Assert.Equal(name, Run(line.Split(' ')).Settings.Server.Name);
    }

    [Fact]
    public void A_name_alone_names_the_data_dir_and_the_initial_cluster()
    {
        var server = Run(["--name", "infra1"]).Settings.Server;

        Assert.Equal("infra1.kvstore", server.DataDir);
        Assert.Equal("infra1=http://127.0.0.1:2380", server.InitialCluster);
    }

    [Theory]
    [InlineData("--debug", LogLevel.Debug)]
    [InlineData("--debug=1", LogLevel.Debug)]
    [InlineData("--debug=false", LogLevel.Information)]
    [InlineData("--log-level debug", LogLevel.Debug)]
    [InlineData("--log-level info", LogLevel.Information)]
    [InlineData("--log-level warn", LogLevel.Warning)]
    [InlineData("--log-level error", LogLevel.Error)]
    [InlineData("--log-level panic", LogLevel.Critical)]
    [InlineData("--log-level fatal", LogLevel.Critical)]
    public void Log_levels_are_etcds(string line, LogLevel level)
    {
        Assert.Equal(level, Run(line.Split(' ')).Settings.LogLevel);
    }

    [Theory]
    [InlineData("--bogus", 2, "flag provided but not defined: --bogus")]
    [InlineData("--bogus=1", 2, "flag provided but not defined: --bogus=1")]
    [InlineData("bogus", 1, "'bogus' is not a valid flag")]
    [InlineData("--name a b", 1, "'b' is not a valid flag")]
    [InlineData("--name", 2, "--name")]
    [InlineData("--snapshot-count -1", 2, "invalid value \"-1\" for flag -snapshot-count")]
    [InlineData("--election-timeout 1s", 2, "invalid value \"1s\" for flag -election-timeout")]
    [InlineData("--grpc-keepalive-timeout 5", 2, "time: invalid duration \"5\"")]
    [InlineData("--enable-v2=maybe", 2, "invalid boolean value \"maybe\" for -enable-v2")]
    [InlineData("--listen-client-urls http://127.0.0.1:1", 1, "--advertise-client-urls is required when --listen-client-urls is set explicitly")]
    [InlineData("--listen-client-urls http://example.com:1 --advertise-client-urls http://a:1", 1, "expected IP in URL for binding (http://example.com:1)")]
    [InlineData("--listen-peer-urls http://127.0.0.1", 2, "URL address does not have the form \"host:port\": http://127.0.0.1")]
    [InlineData("--listen-peer-urls http://127.0.0.1:1/x", 2, "URL must not contain a path: http://127.0.0.1:1/x")]
    [InlineData("--listen-peer-urls ftp://127.0.0.1:1", 2, "URL scheme must be http, https, unix, or unixs: ftp://127.0.0.1:1")]
    [InlineData("--listen-metrics-urls unix://a:1", 1, "only http and https URLs are served here")]
    [InlineData("--listen-client-urls https://127.0.0.1:1 --advertise-client-urls https://127.0.0.1:1", 1, "TLS key/cert (--cert-file, --key-file) must be provided for client url https://127.0.0.1:1 with HTTPS scheme")]
    [InlineData("--listen-peer-urls https://127.0.0.1:1", 1, "cannot listen on TLS for 127.0.0.1:1: KeyFile and CertFile are not presented")]
    [InlineData("--cipher-suites TLS_RSA_WITH_RC4_128_SHA,TLS_NOPE", 1, "unexpected TLS cipher suite \"TLS_NOPE\"")]
    [InlineData("--peer-cert-allowed-cn a --peer-cert-allowed-hostname b", 1, "AllowedCN and AllowedHostname are mutually exclusive (cn=\"a\", hostname=\"b\")")]
    [InlineData("--auto-tls --self-signed-cert-validity 0", 1, "selfSignedCertValidity is invalid,it should be greater than 0")]
    [InlineData("--initial-cluster-state old", 1, "unexpected clusterState \"old\"")]
    [InlineData("--heartbeat-interval 0", 1, "--heartbeat-interval must be >0 (set to 0ms)")]
    [InlineData("--election-timeout 60000", 1, "--election-timeout[60000ms] is too long, and should be set less than 50000ms")]
    [InlineData("--auto-compaction-mode daily", 1, "unknown auto-compaction-mode \"daily\"")]
    [InlineData("--log-level verbose", 1, "unknown log level \"verbose\"")]
    [InlineData("--auth-token jwt,pub-key=a.pub", 1, "--auth-token jwt,pub-key=a.pub: auth: invalid auth options (problem loading JWT options: open a.pub: no such file or directory)")]
    [InlineData("--auth-token jwt", 1, "--auth-token jwt: auth: invalid auth options (problem loading JWT options: auth: invalid auth signature method)")]
    [InlineData("--auth-token jwt,sign-method=ES256", 1, "--auth-token jwt,sign-method=ES256: auth: missing key data")]
    [InlineData("--auth-token jwt,sign-method=ES256,ttl=1y", 1, "auth: invalid auth options (problem loading JWT options: time: invalid duration \"1y\")")]
    [InlineData("--auth-token simpel", 1, "--auth-token simpel: auth: invalid auth options (unknown token type: simpel)")]
    public void Bad_flags_fail_with_etcds_message(string line, int code, string message)
    {
        var exit = Exit(line.Split(' '));

        Assert.Equal(code, exit.Code);
        Assert.Contains(message, exit.Error);
        Assert.StartsWith("kvstore: ", exit.Error);
    }

    [Fact]
    public void Auth_flags_reach_the_settings_without_a_warning()
    {
        var run = Run(["--auth-token", "simple", "--auth-token-ttl", "60", "--bcrypt-cost", "12"]);
        Assert.Equal((60, 12), (run.Settings.Server.AuthTokenTtlSeconds, run.Settings.Server.BcryptCost));
        Assert.DoesNotContain(run.Notes, n => n.Level == LogLevel.Warning);
        Assert.Equal((300, 10), (Run([]).Settings.Server.AuthTokenTtlSeconds, Run(["--bcrypt-cost", "99"]).Settings.Server.BcryptCost));
    }

    [Fact]
    public void Jwt_auth_token_reaches_the_settings_with_its_ttl()
    {
        string dir = Directory.CreateTempSubdirectory("kvstore-jwt-flags").FullName;
        try
        {
            using var rsa = System.Security.Cryptography.RSA.Create(2048);
            File.WriteAllText(Path.Combine(dir, "k.pub"), rsa.ExportSubjectPublicKeyInfoPem());
            var run = Run(["--auth-token", $"jwt,pub-key={Path.Combine(dir, "k.pub")},sign-method=RS256,ttl=90s"]);
            Assert.Equal(("jwt", TimeSpan.FromSeconds(90)), (run.Settings.Server.AuthToken.Type, run.Settings.Server.AuthToken.JwtTtl));
            Assert.Equal(("simple", TimeSpan.FromMinutes(5)), (Run([]).Settings.Server.AuthToken.Type, Run(["--auth-token", "jwt,pub-key=" + Path.Combine(dir, "k.pub") + ",sign-method=RS256"]).Settings.Server.AuthToken.JwtTtl));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Known_etcd_flags_without_effect_are_accepted_with_a_warning()
    {
        var run = Run(["--enable-pprof", "--cors", "http://a.example", "--experimental-backend-bbolt-freelist-type", "array", "--force-new-cluster", "--v"]);

        Assert.Equal(
            ["cors", "enable-pprof", "experimental-backend-bbolt-freelist-type", "force-new-cluster", "v"],
            run.Notes.Where(n => n.Level == LogLevel.Warning).Select(n => n.Message.Split(' ')[1].TrimStart('-')).Order());
    }

    [Fact]
    public void Variables_set_flags_that_the_command_line_does_not()
    {
        var environment = new Hashtable
        {
            ["ETCD_NAME"] = "env-name",
            ["ETCD_SNAPSHOT_COUNT"] = "77",
            ["ETCD_LISTEN_CLIENT_URLS"] = "http://127.0.0.1:7",
            ["ETCD_ADVERTISE_CLIENT_URLS"] = "http://127.0.0.1:7",
            ["ETCD_EXPERIMENTAL_WATCH_PROGRESS_NOTIFY_INTERVAL"] = "5s",
            ["ETCD_AUTO_TLS"] = "true",
            ["ETCD_ENABLE_PPROF"] = "true",
            ["ETCD_UNKNOWN"] = "1",
            ["ETCDCTL_API"] = "3",
        };

        var run = Run(["--max-txn-ops", "88"], environment);

        Assert.Equal("env-name", run.Settings.Server.Name);
        Assert.Equal("env-name.kvstore", run.Settings.Server.DataDir);
        Assert.Equal(88, run.Settings.Server.MaxTxnOps);
        Assert.Equal(77, run.Settings.Server.SnapshotCount);
        Assert.Equal([new Uri("http://127.0.0.1:7")], run.Settings.Server.ListenClientUrls);
        Assert.Equal(TimeSpan.FromSeconds(5), run.Settings.Server.WatchProgressNotifyInterval);
        var warnings = run.Notes.Where(n => n.Level == LogLevel.Warning).Select(n => n.Message).ToList();
        Assert.Contains(warnings, w => w.Contains("ETCD_ENABLE_PPROF has no effect", StringComparison.Ordinal));
        Assert.True(run.Settings.Tls.ClientAutoTls);
        Assert.Contains(warnings, w => w.Contains("unrecognized environment variable ETCD_UNKNOWN=1", StringComparison.Ordinal));
        Assert.DoesNotContain(warnings, w => w.Contains("ETCDCTL_API", StringComparison.Ordinal));
        Assert.Contains(run.Notes, n => n.Level == LogLevel.Information && n.Message == "recognized and used environment variable ETCD_NAME=env-name");
    }

    [Fact]
    public void A_flag_given_on_both_the_command_line_and_as_a_variable_is_refused_as_etcd()
    {
        var exit = Exit(["--snapshot-count", "88"], new Hashtable { ["ETCD_SNAPSHOT_COUNT"] = "77" });

        Assert.Equal(1, exit.Code);
        Assert.Contains("conflicting environment variable \"ETCD_SNAPSHOT_COUNT\" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)", exit.Error);
    }

    [Fact]
    public void A_bad_variable_fails()
    {
        var exit = Exit([], new Hashtable { ["ETCD_HEARTBEAT_INTERVAL"] = "fast" });

        Assert.Equal(1, exit.Code);
        Assert.Contains("invalid value \"fast\" for ETCD_HEARTBEAT_INTERVAL", exit.Error);
    }

    [Fact]
    public void A_config_file_replaces_flags_and_variables()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "etcd.yml");
        File.WriteAllText(path, """
            name: file-name
            listen-client-urls: http://127.0.0.1:5,http://127.0.0.1:6
            initial-cluster-state: existing
            max-txn-ops: 9
            grpc-keepalive-interval: 1000000000
            experimental-watch-progress-notify-interval: 2m
            cors: ["http://a", "http://b"]
            peer-transport-security:
              auto-tls: true
            """);

        var run = Run(["--config-file", path, "--name", "flag-name", "--max-txn-ops", "3"], new Hashtable { ["ETCD_SNAPSHOT_COUNT"] = "1" });
        var server = run.Settings.Server;

        Assert.Equal("file-name", server.Name);
        Assert.Equal("file-name.kvstore", server.DataDir);
        Assert.Equal([new Uri("http://127.0.0.1:5"), new Uri("http://127.0.0.1:6")], server.ListenClientUrls);
        // etcd keeps the default advertise URL when only the listen URLs are in the file.
        Assert.Equal([new Uri("http://127.0.0.1:2379")], server.AdvertiseClientUrls);
        Assert.Equal("existing", server.InitialClusterState);
        Assert.Equal(9, server.MaxTxnOps);
        Assert.Equal(100_000, server.SnapshotCount);
        Assert.Equal(TimeSpan.FromSeconds(1), run.Settings.GrpcKeepAliveInterval);
        Assert.Equal(TimeSpan.FromMinutes(2), server.WatchProgressNotifyInterval);
        Assert.Contains(run.Notes, n => n.Message.Contains("\"cors\" has no effect", StringComparison.Ordinal));
        Assert.True(run.Settings.Tls.PeerAutoTls); // etcd's securityConfig keys set the TLS flags
    }

    [Fact]
    public void The_config_files_transport_security_sections_set_the_tls_flags()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "etcd.yml");
        File.WriteAllText(path, """
            listen-client-urls: https://127.0.0.1:5
            advertise-client-urls: https://127.0.0.1:5
            cipher-suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
            client-transport-security:
              cert-file: /etc/kvstore/server.crt
              key-file: /etc/kvstore/server.key
              client-cert-auth: true
              trusted-ca-file: /etc/kvstore/ca.crt
              auto-tls: false
            peer-transport-security:
              cert-file: /etc/kvstore/peer.crt
              key-file: /etc/kvstore/peer.key
              client-cert-auth: true
              trusted-ca-file: /etc/kvstore/ca.crt
            """);

        var settings = Run(["--config-file", path]).Settings;

        Assert.Equal("/etc/kvstore/server.crt", settings.Tls.Client.CertFile);
        Assert.Equal("/etc/kvstore/server.key", settings.Tls.Client.KeyFile);
        Assert.True(settings.Tls.Client.ClientCertAuth);
        Assert.True(settings.Server.ClientCertAuth);
        Assert.Equal("/etc/kvstore/ca.crt", settings.Tls.Client.TrustedCaFile);
        Assert.Equal("/etc/kvstore/peer.crt", settings.Server.PeerTls.CertFile);
        Assert.True(settings.Server.PeerTls.ClientCertAuth);
        Assert.Equal([System.Net.Security.TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256], settings.Tls.Client.CipherSuites);
    }

    [Fact]
    public void Config_file_keys_at_etcds_defaults_do_not_warn()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "etcd.yml");
        File.WriteAllText(path, """
            strict-reconfig-check: true
            enable-v2: false
            backend-batch-interval: 0
            experimental-corrupt-check-time: 0s
            max-snapshots: 5
            discovery:
            cors: "*"
            auto-tls: false
            """);

        Assert.DoesNotContain(Run(["--config-file", path]).Notes, n => n.Level == LogLevel.Warning);
    }

    [Fact]
    public void The_config_file_can_come_from_etcd_config_file()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "etcd.yml");
        File.WriteAllText(path, "name: from-variable-file\n");

        Assert.Equal("from-variable-file", Run([], new Hashtable { ["ETCD_CONFIG_FILE"] = path }).Settings.Server.Name);
    }

    [Theory]
    [InlineData("name: [a", "error parsing config file")]
    [InlineData("heartbeat-interval: fast", "invalid value \"fast\" for flag -heartbeat-interval")]
    [InlineData("listen-client-urls: http://localhost", "URL address does not have the form")]
    public void A_bad_config_file_fails(string yaml, string message)
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "etcd.yml");
        File.WriteAllText(path, yaml);

        var exit = Exit(["--config-file", path]);

        Assert.Equal(1, exit.Code);
        Assert.Contains(message, exit.Error);
    }

    [Fact]
    public void A_missing_config_file_fails()
    {
        var exit = Exit(["--config-file", "/nonexistent/etcd.yml"]);

        Assert.Equal(1, exit.Code);
        Assert.Contains("error reading config file /nonexistent/etcd.yml", exit.Error);
    }

    [Fact]
    public void Version_and_help_print_and_exit_0()
    {
        var version = Exit(["--version"]);
        Assert.Equal(0, version.Code);
        Assert.StartsWith("etcd Version: 3.5.16\n", version.Output);

        var help = Exit(["--help"]);
        Assert.Equal(0, help.Code);
        Assert.Contains("--listen-client-urls", help.Output);
        Assert.Contains("[no effect in kvstore]", help.Output);
    }
}
