namespace KvStore.Host.Tests;

/// <summary>etcd's flags, ETCD_* variables and config file, seen from outside: the built kvstore process.</summary>
[Collection(KvStoreProcessCollection.Name)]
public sealed class FlagProcessTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void An_unknown_flag_fails_with_a_clear_message()
    {
        using var member = new Member(["--no-such-flag", "1"]);

        Assert.Equal(2, member.Process.WaitForExit(ExitTimeout));
        Assert.Contains("kvstore: flag provided but not defined: --no-such-flag", member.Process.Output);
        Assert.DoesNotContain(KvStoreProcess.ReadyLine, member.Process.Output);
    }

    [Fact]
    public void A_bad_value_fails_with_etcds_message()
    {
        using var member = new Member(["--heartbeat-interval", "500"]);

        Assert.Equal(1, member.Process.WaitForExit(ExitTimeout));
        Assert.Contains("--election-timeout[1000ms] should be at least as 5 times as --heartbeat-interval[500ms]", member.Process.Output);
    }

    [Fact]
    public void Version_prints_the_etcd_version_it_is_compatible_with()
    {
        var (code, output, _) = ChildProcess.Run(Binaries.DotnetHost(), [Binaries.KvStoreDll, "--version"]);

        Assert.Equal(0, code);
        Assert.Contains("etcd Version: 3.5.16", output); // on stdout, as etcd prints it
    }

    [Fact]
    public void Etcd_flags_without_effect_here_are_accepted_with_a_warning()
    {
        using var member = new Member(["--enable-pprof", "--pre-vote=true", "--max-wals", "7", "--experimental-initial-corrupt-check"]);

        member.Process.WaitUntilReady();
        foreach (var flag in new[] { "enable-pprof", "pre-vote", "max-wals", "experimental-initial-corrupt-check" })
        {
            Assert.Contains($"flag --{flag} has no effect in kvstore", member.Process.Output);
        }
    }

    [Fact]
    public void Etcd_variables_configure_the_member()
    {
        var clientPort = Ports.Free();
        var clientUrl = $"http://127.0.0.1:{clientPort}";
        using var member = new Member(
            ["--listen-peer-urls", $"http://127.0.0.1:{Ports.Free()}"],
            new Dictionary<string, string>
            {
                ["ETCD_NAME"] = "from-env",
                ["ETCD_LISTEN_CLIENT_URLS"] = clientUrl,
                ["ETCD_ADVERTISE_CLIENT_URLS"] = clientUrl,
                ["ETCD_ENABLE_V2"] = "true",
                ["ETCD_NO_SUCH_THING"] = "x",
            },
            urlFlags: false);

        member.Process.WaitUntilReady();
        // etcd's default data dir for a named member: <name>.etcd; here <name>.kvstore, in the working directory.
        Assert.Contains("starting member from-env in data dir from-env.kvstore", member.Process.Output);
        Assert.True(Directory.Exists(Path.Combine(member.WorkingDirectory, "from-env.kvstore")));
        Assert.Contains($"serving client traffic insecurely on 127.0.0.1:{clientPort}", member.Process.Output);
        Assert.Contains("environment variable ETCD_ENABLE_V2 has no effect in kvstore", member.Process.Output);
        Assert.Contains("unrecognized environment variable ETCD_NO_SUCH_THING=x", member.Process.Output);
    }

    [Fact]
    public void A_flag_given_also_as_its_variable_refuses_to_start_as_etcd()
    {
        using var member = new Member(["--name", "from-flag"], new Dictionary<string, string> { ["ETCD_NAME"] = "from-env" });

        Assert.Equal(1, member.Process.WaitForExit(ExitTimeout));
        Assert.Contains("conflicting environment variable \"ETCD_NAME\" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)", member.Process.Output);
    }

    [Fact]
    public async Task The_config_file_configures_the_member_and_flags_are_ignored()
    {
        var clientPort = Ports.Free();
        var metricsPort = Ports.Free();
        var peerPort = Ports.Free();
        using var dir = new TempDir();
        var configPath = Path.Combine(dir.Path, "kvstore.conf.yml");
        await File.WriteAllTextAsync(configPath, $"""
            # etcd's sample config file keys
            name: 'from-file'
            data-dir: {Path.Combine(dir.Path, "file-data")}
            listen-client-urls: http://127.0.0.1:{clientPort}
            advertise-client-urls: http://127.0.0.1:{clientPort}
            listen-peer-urls: http://127.0.0.1:{peerPort}
            initial-advertise-peer-urls: http://127.0.0.1:{peerPort}
            listen-metrics-urls: http://127.0.0.1:{metricsPort}
            snapshot-count: 10000
            heartbeat-interval: 100
            election-timeout: 1000
            quota-backend-bytes: 0
            initial-cluster-state: 'new'
            enable-v2: true
            log-outputs: [stderr]
            experimental-watch-progress-notify-interval: 600000000000
            client-transport-security:
              cert-file:
              auto-tls: false
            no-such-key: 1
            """);

        using var member = new Member(["--config-file", configPath, "--name", "from-flag"], urlFlags: false);

        member.Process.WaitUntilReady();
        Assert.Contains("starting member from-file in data dir " + Path.Combine(dir.Path, "file-data"), member.Process.Output);
        Assert.Contains("\\\"enable-v2\\\" has no effect in kvstore", member.Process.Output);
        Assert.Contains("unknown key \\\"no-such-key\\\" ignored", member.Process.Output);
        using var http = new HttpClient();
        Assert.Contains("\"health\":\"true\"", await http.GetStringAsync($"http://127.0.0.1:{clientPort}/health"));
        Assert.Contains("etcd_server_has_leader 1", await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics"));
    }
}
