
namespace KvStore.Tls.Tests;

/// <summary>
/// Client TLS as etcd 3.4 does it, each case run on a real etcd and on kvstore started with the same certificates
/// and flags, through etcdctl 3.4 (and curl, openssl s_client): who passes the handshake, CN authentication and its
/// precedence with tokens, the CRL, auto TLS, unix sockets, cipher suites and etcd's start-up errors.
/// </summary>
public sealed class ClientTlsTests(CertificatesFixture fixture) : IClassFixture<CertificatesFixture>
{
    private readonly TestCertificates _certs = fixture.Certificates;

    [Fact]
    public async Task Only_a_certificate_the_trusted_CA_signed_and_the_CRL_does_not_revoke_passes_the_handshake()
    {
        SingleMember[] members = await Tls.StartBothAsync([.. _certs.ClientFlags(clientCertAuth: true, crl: true)]);
        try
        {
            foreach (SingleMember m in members)
            {
                string url = m.ClientUrl;
                var ok = Tls.Ctl(url, [.. _certs.EtcdctlFlags(), "put", "k", "v"]);
                Assert.True(ok.Exit == 0, $"{m.Name}: {ok.Err}");
                Assert.Equal("OK", ok.Out.Trim());
                Assert.Equal("k\nv", Tls.Ctl(url, [.. _certs.EtcdctlFlags(), "--insecure-transport=false", "get", "k"]).Out.Trim());

                // refused at the handshake: no certificate, another CA's, a revoked one, an expired one
                Assert.NotEqual(0, Tls.Ctl(url, "--cacert", _certs.CaFile, "get", "k").Exit);
                Assert.NotEqual(0, Tls.Ctl(url, [.. _certs.EtcdctlFlags(_certs.OtherCaClient), "get", "k"]).Exit);
                Assert.NotEqual(0, Tls.Ctl(url, [.. _certs.EtcdctlFlags(_certs.Revoked), "get", "k"]).Exit);
                Assert.NotEqual(0, Tls.Ctl(url, [.. _certs.EtcdctlFlags(_certs.Expired), "get", "k"]).Exit);
                // the client does not trust the server without the CA
                var untrusted = Tls.Ctl(url, "--cert", _certs.Client.Cert, "--key", _certs.Client.Key, "get", "k");
                Assert.NotEqual(0, untrusted.Exit);

                // HTTP/1.1 on the same TLS port: /health and the JSON gateway
                var health = Curl(url + "/health", _certs.Client);
                Assert.Contains("\"health\":\"true\"", health.Out);
                var range = Curl(url + "/v3/kv/range", _certs.Client, "-X", "POST", "-d", "{\"key\":\"aw==\"}");
                Assert.Contains("\"value\":\"dg==\"", range.Out);
                Assert.NotEqual(0, Curl(url + "/health", null).Exit);
            }
        }
        finally
        {
            foreach (SingleMember m in members) m.Dispose();
        }
    }

    [Fact]
    public async Task An_allowed_hostname_admits_only_client_certificates_valid_for_it()
    {
        var named = _certs.Issue("named", "someone"); // SANs 127.0.0.1 and localhost, like every test certificate
        foreach (var (hostname, admitted) in new[] { ("localhost", true), ("example.com", false) })
        {
            SingleMember[] members = await Tls.StartBothAsync([.. _certs.ClientFlags(clientCertAuth: true), "--client-cert-allowed-hostname", hostname]);
            try
            {
                foreach (SingleMember m in members)
                {
                    var put = Tls.Ctl(m.ClientUrl, [.. _certs.EtcdctlFlags(named), "put", "k", "v"]);
                    Assert.True((put.Exit == 0) == admitted, $"{m.Name} {hostname}: {put.Err}");
                }
            }
            finally
            {
                foreach (SingleMember m in members) m.Dispose();
            }
        }
    }

    [Fact]
    public async Task With_client_cert_auth_the_CN_is_the_user_and_a_token_comes_first()
    {
        var alice = _certs.Issue("alice", "alice");
        var bob = _certs.Issue("bob", "bob");
        SingleMember[] members = await Tls.StartBothAsync([.. _certs.ClientFlags(clientCertAuth: true)]);
        try
        {
            var outcomes = new Dictionary<string, string>();
            foreach (SingleMember m in members)
            {
                string url = m.ClientUrl;
                string[] root = _certs.EtcdctlFlags();
                foreach (string[] setup in new[]
                {
                    new[] { "user", "add", "root", "--new-user-password=rootpw" },
                    ["role", "add", "app"],
                    ["role", "grant-permission", "app", "readwrite", "/app/", "--prefix"],
                    ["user", "add", "alice", "--new-user-password=alicepw"],
                    ["user", "grant-role", "alice", "app"],
                    ["auth", "enable"],
                })
                {
                    var r = Tls.Ctl(url, [.. root, .. setup]);
                    Assert.True(r.Exit == 0, $"{m.Name} {string.Join(' ', setup)}: {r.Err}");
                }
                var lines = new List<string>
                {
                    Line("alice puts in her prefix", Tls.Ctl(url, [.. _certs.EtcdctlFlags(alice), "put", "/app/x", "1"])),
                    Line("alice puts outside it", Tls.Ctl(url, [.. _certs.EtcdctlFlags(alice), "put", "/other", "1"])),
                    Line("alice reads outside it", Tls.Ctl(url, [.. _certs.EtcdctlFlags(alice), "get", "/other"])),
                    Line("root's CN lists users", Tls.Ctl(url, [.. root, "user", "list"])),
                    Line("bob is no user", Tls.Ctl(url, [.. _certs.EtcdctlFlags(bob), "put", "/app/y", "1"])),
                    Line("root's token over alice's CN", Tls.Ctl(url, [.. _certs.EtcdctlFlags(alice), "--user", "root:rootpw", "put", "/other", "2"])),
                    Line("a wrong password over alice's CN", Tls.Ctl(url, [.. _certs.EtcdctlFlags(alice), "--user", "root:nope", "put", "/app/z", "2"])),
                    Line("alice's token over root's CN", Tls.Ctl(url, [.. root, "--user", "alice:alicepw", "user", "list"])),
                    // etcd's gateway authenticates with its own certificate, whose CN it ignores: no user
                    Line("the gateway ignores the CN", Curl(url + "/v3/kv/range", alice, "-X", "POST", "-d", "{\"key\":\"L2FwcC94\"}")),
                };
                outcomes[m.Name] = string.Join("\n", lines);
            }
            Assert.Equal(outcomes["etcd"], outcomes["kvstore"]);
            Assert.Contains("alice puts in her prefix: 0 OK", outcomes["kvstore"]);
            Assert.Contains("alice puts outside it: 1 Error: etcdserver: permission denied", outcomes["kvstore"]);
            Assert.Contains("root's token over alice's CN: 0 OK", outcomes["kvstore"]);
        }
        finally
        {
            foreach (SingleMember m in members) m.Dispose();
        }
    }

    [Fact]
    public async Task Auto_tls_makes_a_self_signed_certificate_in_the_data_dir()
    {
        SingleMember[] members = await Tls.StartBothAsync(["--auto-tls"]);
        try
        {
            foreach (SingleMember m in members)
            {
                var ok = Tls.Ctl(m.ClientUrl, "--insecure-skip-tls-verify", "--insecure-transport=false", "put", "k", "v");
                Assert.True(ok.Exit == 0, $"{m.Name}: {ok.Err}");
                var unverified = Tls.Ctl(m.ClientUrl, "--insecure-transport=false", "get", "k");
                Assert.NotEqual(0, unverified.Exit);
                string fixtures = Path.Combine(m.DataDir, "fixtures", "client");
                Assert.True(File.Exists(Path.Combine(fixtures, "cert.pem")) && File.Exists(Path.Combine(fixtures, "key.pem")), m.Name);
                string text = Run("openssl", "x509", "-in", Path.Combine(fixtures, "cert.pem"), "-noout", "-subject", "-ext", "subjectAltName,extendedKeyUsage").Out;
                Assert.Contains("O = etcd", text);
                Assert.Contains("IP Address:127.0.0.1", text);
                Assert.Contains("TLS Web Server Authentication", text);
            }
        }
        finally
        {
            foreach (SingleMember m in members) m.Dispose();
        }
    }

    [Fact]
    public async Task Unix_and_unixs_client_urls_serve_etcdctl()
    {
        foreach (string scheme in new[] { "unix", "unixs" })
        {
            string[] flags = scheme == "unixs" ? _certs.ClientFlags(clientCertAuth: false) : [];
            SingleMember[] members = await Tls.StartBothAsync(flags, clientScheme: scheme);
            try
            {
                foreach (SingleMember m in members)
                {
                    // the socket is the file "localhost:port" in the server's working directory; over TLS the
                    // server's certificate is verified for "localhost"
                    string[] tls = scheme == "unixs" ? _certs.EtcdctlFlags() : [];
                    var put = Tls.CtlIn(m.WorkingDirectory, m.ClientUrl, [.. tls, "put", "k", scheme]);
                    Assert.True(put.Exit == 0, $"{m.Name} {scheme}: {put.Err}");
                    Assert.Equal("k\n" + scheme, Tls.CtlIn(m.WorkingDirectory, m.ClientUrl, [.. tls, "get", "k"]).Out.Trim());
                }
            }
            finally
            {
                foreach (SingleMember m in members) m.Dispose();
            }
        }
    }

    [Fact]
    public async Task Cipher_suites_restrict_TLS_1_2_only()
    {
        // no trusted CA: no client certificate asked for (etcd asks for one whenever a trusted CA is given)
        SingleMember[] members = await Tls.StartBothAsync(["--cert-file", _certs.Server.Cert, "--key-file", _certs.Server.Key,
            "--cipher-suites", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]);
        try
        {
            foreach (SingleMember m in members)
            {
                string connect = new Uri(m.ClientUrl).Authority;
                Assert.Equal(0, SClient(connect, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256").Exit);
                Assert.NotEqual(0, SClient(connect, "-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384").Exit);
                Assert.Equal(0, SClient(connect, "-tls1_3").Exit);
            }
        }
        finally
        {
            foreach (SingleMember m in members) m.Dispose();
        }
    }

    [Fact]
    public void Http_and_https_client_urls_mix_and_metrics_may_be_https()
    {
        int http = Ports.Free(), https = Ports.Free(), metrics = Ports.Free();
        string urls = $"http://127.0.0.1:{http},https://127.0.0.1:{https}";
        using SingleMember m = SingleMember.StartKvStore(
            [.. _certs.ClientFlags(clientCertAuth: false), "--listen-client-urls", urls, "--advertise-client-urls", urls,
             "--listen-metrics-urls", $"https://127.0.0.1:{metrics}"]);
        Assert.Equal(0, Tls.Ctl($"127.0.0.1:{http}", "put", "k", "plain").Exit);
        Assert.Equal("k\nplain", Tls.Ctl($"https://127.0.0.1:{https}", [.. _certs.EtcdctlFlags(), "get", "k"]).Out.Trim());
        // a trusted CA makes etcd ask every TLS client for a certificate, on the metrics URL too
        Assert.Contains("etcd_server_has_leader 1", Curl($"https://127.0.0.1:{metrics}/metrics", _certs.Client).Out);
        Assert.NotEqual(0, Curl($"https://127.0.0.1:{metrics}/metrics", null).Exit);
        Assert.Contains("serving client traffic securely", m.Output);
        Assert.Contains("serving client traffic insecurely", m.Output);
    }

    [Theory]
    [InlineData("missing certificate", "TLS key/cert (--cert-file, --key-file) must be provided for client url https://127.0.0.1:")]
    [InlineData("unknown cipher suite", "unexpected TLS cipher suite \"TLS_NOPE\"")]
    [InlineData("missing file", "open nope.crt: no such file or directory")]
    [InlineData("key of another certificate", "tls: private key does not match public key")]
    [InlineData("https peer without a certificate", "KeyFile and CertFile are not presented")]
    [InlineData("allowed CN and hostname", "AllowedCN and AllowedHostname are mutually exclusive (cn=\"a\", hostname=\"b\")")]
    public void Bad_tls_settings_stop_the_member_with_etcds_message(string what, string message)
    {
        int client = Ports.Free(), peer = Ports.Free();
        string clientUrl = $"https://127.0.0.1:{client}", peerUrl = $"http://127.0.0.1:{peer}";
        string[] flags = what switch
        {
            "missing certificate" => [],
            "unknown cipher suite" => [.. _certs.ClientFlags(false), "--cipher-suites", "TLS_NOPE"],
            "missing file" => ["--cert-file", "nope.crt", "--key-file", _certs.Server.Key],
            "key of another certificate" => ["--cert-file", _certs.Server.Cert, "--key-file", _certs.Client.Key],
            "https peer without a certificate" => [.. _certs.ClientFlags(false), "--listen-peer-urls", peerUrl = $"https://127.0.0.1:{peer}"],
            _ => [.. _certs.ClientFlags(false), .. _certs.PeerFlags(), "--peer-cert-allowed-cn", "a", "--peer-cert-allowed-hostname", "b",
                  "--listen-peer-urls", peerUrl = $"https://127.0.0.1:{peer}"],
        };
        string[] args =
        [
            "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
            "--initial-advertise-peer-urls", peerUrl, "--initial-cluster", "default=" + peerUrl, .. flags,
        ];
        if (!args.Contains("--listen-peer-urls")) args = [.. args, "--listen-peer-urls", peerUrl];
        foreach (string server in Tls.Servers)
        {
            string dir = Path.Combine(Path.GetTempPath(), "kvstore-tests-tls-" + Guid.NewGuid().ToString("N"));
            try
            {
                var (code, output, error) = server == "etcd"
                    ? ChildProcess.Run("etcd", ["--data-dir", dir, .. args], timeout: TimeSpan.FromSeconds(30))
                    : ChildProcess.Run(Binaries.DotnetHost(), [Binaries.KvStoreDll, "--data-dir", dir, .. args], timeout: TimeSpan.FromSeconds(30));
                Assert.True(code > 0, $"{server} {what}: exit {code}\n{output}\n{error}");
                Assert.Contains(message, Tls.Plain(output + error));
            }
            finally
            {
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
        }
    }

    private static string Line(string what, (int Exit, string Out, string Err) r)
    {
        // etcdctl's retry warnings are JSON lines with timestamps and client ids: keep its "Error:" line only
        string err = string.Join(" ", r.Err.Split('\n').Where(l => l.StartsWith("Error:", StringComparison.Ordinal)));
        string output = r.Out.Trim().Replace('\n', ' ');
        // response headers name each server's own cluster and member ids
        output = System.Text.RegularExpressions.Regex.Replace(output, "\"header\":\\{[^}]*\\},?", "");
        return $"{what}: {(r.Exit == 0 ? 0 : 1)} {output}{err}".Trim();
    }

    private (int Exit, string Out, string Err) Curl(string url, (string Cert, string Key)? client, params string[] extra)
    {
        string[] auth = client is { } c ? ["--cacert", _certs.CaFile, "--cert", c.Cert, "--key", c.Key] : [];
        string[] trust = client is null && !extra.Contains("--cacert") ? ["--cacert", _certs.CaFile] : [];
        return Run("curl", ["-sS", "--max-time", "10", .. auth, .. trust, .. extra, url]);
    }

    private (int Exit, string Out, string Err) SClient(string connect, params string[] extra) =>
        Run("openssl", ["s_client", "-connect", connect, "-CAfile", _certs.CaFile, "-verify_return_error", .. extra], stdin: "");

    private static (int Exit, string Out, string Err) Run(string file, IEnumerable<string> args, string? stdin = null) =>
        ChildProcess.Run(file, args, stdin, timeout: TimeSpan.FromSeconds(30));

    private static (int Exit, string Out, string Err) Run(string file, params string[] args) => Run(file, args, null);
}

/// <summary>One set of test certificates per test class.</summary>
public sealed class CertificatesFixture : IDisposable
{
    public TestCertificates Certificates { get; } = new();

    public void Dispose() => Certificates.Dispose();
}
