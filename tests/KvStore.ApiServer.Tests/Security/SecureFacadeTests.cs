using System.Net;
using System.Net.Http;
using KvStore.ApiServer.Tests.Http;

namespace KvStore.ApiServer.Tests.Security;

/// <summary>
/// The facade as kube-apiserver serves it: HTTPS, x509 client certificates and bearer tokens, anonymous requests, with
/// the real kubectl (fresh HOME, a kubeconfig holding the credentials) against the in-member facade and against
/// `kvstore apiserver` over a real etcd 3.4 that requires client certificates. Certificates made with openssl.
/// </summary>
public sealed class SecureFacadeTests
{
    private const string Unauthorized = """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}""";
    /// <summary>kubectl's words for a 401 on a request (a Status body), and on discovery (what a kubectl with no discovery
    /// cache asks first).</summary>
    private const string NotLoggedIn = "error: You must be logged in to the server (Unauthorized)";
    private const string NotLoggedInDiscovery = "error: You must be logged in to the server (the server has asked for the client to provide credentials)";

    [Fact]
    public async Task InMemberFacadeServesHttpsToCertificatesAndTokens()
    {
        using var pki = new OpenSslPki();
        var ca = pki.Ca("ca", "kvstore-test-ca");
        var alice = pki.Client("ca", "alice", "dev", "ops");
        pki.Ca("other", "someone-elses-ca");
        var mallory = pki.Client("other", "mallory");
        var tokens = pki.Path("tokens.csv");
        File.WriteAllText(tokens, "t0k3n-bob,bob,1001,\"viewers,editors\"\n");
        var dataDir = pki.Path("data");
        var url = $"https://127.0.0.1:{Ports.Free()}";
        using var member = ApiServerProcess.StartMemberAt(url, dataDir, Ports.Free(), Ports.Free(), null,
            "--client-ca-file", ca, "--token-auth-file", tokens);

        // no --tls-cert-file: kube-apiserver's self-signed pair, here under the data dir
        var servingCa = Path.Combine(dataDir, "fixtures", "apiserver", "apiserver.crt");
        Assert.True(File.Exists(servingCa), member.Output);
        Assert.Contains("Generated self-signed cert", member.Output, StringComparison.Ordinal);

        using (var kubectl = new Kubectl(url))
        {
            kubectl.WriteKubeconfig(Kubeconfig(url, servingCa, $"client-certificate: {alice.Cert}\n    client-key: {alice.Key}"));
            var whoami = kubectl.Ok("auth whoami");
            Assert.Matches(@"(?m)^Username\s+alice$", whoami);
            Assert.Matches(@"(?m)^Groups\s+\[dev ops system:authenticated\]$", whoami);
            kubectl.Ok("create configmap by-alice --from-literal=a=1");
            Assert.Matches(@"(?m)^by-alice +1 ", kubectl.Ok("get configmaps"));
        }
        using (var kubectl = new Kubectl(url))
        {
            // a token, with the self-signed certificate not checked
            var whoami = kubectl.Ok("--insecure-skip-tls-verify --token t0k3n-bob auth whoami");
            Assert.Matches(@"(?m)^Username\s+bob$", whoami);
            Assert.Matches(@"(?m)^UID\s+1001$", whoami);
            Assert.Matches(@"(?m)^Groups\s+\[viewers editors system:authenticated\]$", whoami);
            Assert.Equal("1", kubectl.Ok("--insecure-skip-tls-verify --token t0k3n-bob get configmap by-alice -o jsonpath={.data.a}"));
            AssertContains(NotLoggedIn, kubectl.Fails("--insecure-skip-tls-verify --token t0k3n-eve auth whoami"));
            AssertContains(NotLoggedIn, kubectl.Fails("--insecure-skip-tls-verify --token t0k3n-eve get configmaps")); // discovery cached by now
        }
        using (var kubectl = new Kubectl(url))
        {
            kubectl.WriteKubeconfig(Kubeconfig(url, servingCa, $"client-certificate: {mallory.Cert}\n    client-key: {mallory.Key}"));
            AssertContains(NotLoggedInDiscovery, kubectl.Fails("get configmaps"));
            AssertContains(NotLoggedIn, kubectl.Fails("auth whoami"));
        }
        Assert.Contains("Unable to authenticate the request: invalid bearer token", member.Output, StringComparison.Ordinal);
        Assert.Contains("failed: x509: certificate signed by unknown authority", member.Output, StringComparison.Ordinal);

        // anonymous (kube's default --anonymous-auth=true): what kube's default RBAC gives system:unauthenticated, else 403
        using var http = AnyServerCertificate();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(url + "/version")).StatusCode);
        Assert.Equal("ok", await http.GetStringAsync(url + "/readyz"));
        using var forbidden = await http.GetAsync(url + "/api/v1/namespaces/default/configmaps");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps is forbidden: User \"system:anonymous\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\"","reason":"Forbidden","details":{"kind":"configmaps"},"code":403}""",
            await forbidden.Content.ReadAsStringAsync());
    }

    /// <summary>The store is real etcd 3.4, or a kvstore member with the same TLS flags.</summary>
    [Theory]
    [InlineData("etcd")]
    [InlineData("kvstore")]
    public async Task StandaloneOverTlsEtcdWithAnonymousAuthOff(string store)
    {
        using var pki = new OpenSslPki();
        var ca = pki.Ca("ca", "kvstore-test-ca");
        var etcdServing = pki.Server("ca", "etcd");
        var etcdClient = pki.Client("ca", "kube-apiserver-etcd-client");
        var serving = pki.Server("ca", "apiserver");
        var admin = pki.Client("ca", "admin", "system:masters");

        var etcdUrl = $"https://127.0.0.1:{Ports.Free()}";
        var peerUrl = $"http://127.0.0.1:{Ports.Free()}";
        string[] flags =
        [
            "--data-dir", pki.Path("etcd"), "--listen-client-urls", etcdUrl, "--advertise-client-urls", etcdUrl,
            "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl, "--initial-cluster", "default=" + peerUrl,
            "--cert-file", etcdServing.Cert, "--key-file", etcdServing.Key, "--trusted-ca-file", ca, "--client-cert-auth",
        ];
        using var etcd = store == "etcd" ? new ChildProcess("etcd", flags) : ChildProcess.KvStore(flags);
        Assert.True(etcd.WaitFor(SingleMember.ReadyLine, TimeSpan.FromSeconds(60)), etcd.Output);

        var port = Ports.Free();
        var url = $"https://127.0.0.1:{port}";
        using var apiserver = ApiServerProcess.StartStandaloneAt(url, new ApiServerProcess.ReadyCredentials(CertFile: admin.Cert, KeyFile: admin.Key),
            "--etcd-servers", etcdUrl, "--etcd-cafile", ca, "--etcd-certfile", etcdClient.Cert, "--etcd-keyfile", etcdClient.Key,
            "--bind-address", "127.0.0.1", "--secure-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tls-cert-file", serving.Cert, "--tls-private-key-file", serving.Key, "--client-ca-file", ca, "--anonymous-auth=false");

        using (var kubectl = new Kubectl(url))
        {
            kubectl.WriteKubeconfig(Kubeconfig(url, ca, $"client-certificate: {admin.Cert}\n    client-key: {admin.Key}"));
            Assert.Matches(@"(?m)^Groups\s+\[system:masters system:authenticated\]$", kubectl.Ok("auth whoami"));
            kubectl.Ok("apply -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: over-tls, namespace: default}\ndata: {k: v}\n");
            Assert.Matches(@"(?m)^kubernetes +ClusterIP +10\.96\.0\.1 ", kubectl.Ok("get services"));
        }
        // etcd's own view, through etcdctl with the same client certificate
        var (code, keys, error) = Etcdctl.Run(etcdUrl, ["--cacert", ca, "--cert", etcdClient.Cert, "--key", etcdClient.Key,
            "get", "/registry/configmaps/default/over-tls", "--keys-only"]);
        Assert.True(code == 0, error);
        Assert.Equal("/registry/configmaps/default/over-tls", keys.Trim());

        // --anonymous-auth=false: no credential at all is kube's 401, even for /version
        using var http = AnyServerCertificate();
        using var anonymous = await http.GetAsync(url + "/version");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(Unauthorized, await anonymous.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(2, "--secure-port 0 must be between 1 and 65535, inclusive. It cannot be turned off with 0", "--secure-port", "0")]
    [InlineData(2, "--listen-url replaces --bind-address and --secure-port: give one or the other", "--listen-url", "https://127.0.0.1:1", "--secure-port", "7443")]
    [InlineData(1, "KeyFile and CertFile must both be present[key: , cert: /nonexistent/client.crt]", "--etcd-certfile", "/nonexistent/client.crt")]
    [InlineData(1, "open /nonexistent/tls.crt: no such file or directory", "--tls-cert-file", "/nonexistent/tls.crt", "--tls-private-key-file", "/nonexistent/tls.key")]
    public void BadSecurityFlagsStopItWithKubesMessageBeforeItListens(int exitCode, string message, params string[] flags)
    {
        var (code, _, error) = ChildProcess.Run(Binaries.DotnetHost(),
            [Binaries.KvStoreDll, "apiserver", "--etcd-servers", "https://127.0.0.1:1", .. flags]);
        Assert.Equal(exitCode, code);
        Assert.Equal("kvstore apiserver: " + message, error.Trim());
    }

    private static void AssertContains(string expected, string output) =>
        Assert.True(output.Contains(expected, StringComparison.Ordinal), $"expected \"{expected}\" in:\n{output}");

    private static string Kubeconfig(string server, string certificateAuthority, string user) => $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: kvstore
          cluster:
            server: {server}
            certificate-authority: {certificateAuthority}
        users:
        - name: me
          user:
            {user}
        contexts:
        - name: kvstore
          context: {"{"}cluster: kvstore, user: me{"}"}
        current-context: kvstore
        """;

    /// <summary>An HTTP client with no credentials that accepts the facade's certificate, for what kubectl will not send.</summary>
    private static HttpClient AnyServerCertificate() =>
        new(new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
}
