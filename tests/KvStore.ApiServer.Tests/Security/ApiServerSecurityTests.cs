using System.Net;
using System.Security.Cryptography.X509Certificates;
using KvStore.ApiServer.Http;
using KvStore.ApiServer.Security;
using KvStore.ApiServer.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.ApiServer.Tests.Security;

/// <summary>
/// The facade's serving certificate (given, or kube-apiserver's self-signed pair), its authenticators over certificates
/// made with openssl, and kube's messages for every file it cannot use (in process, no server started).
/// </summary>
public sealed class ApiServerSecurityTests : IDisposable
{
    private readonly OpenSslPki _pki = new();

    [Fact]
    public void SelfSignedPairIsKubesAndIsReusedOnRestart()
    {
        var dir = _pki.Path("certs");
        var (certFile, keyFile, generated) = SelfSignedCertificate.Ensure(dir, IPAddress.Loopback, "10.96.0.1");
        Assert.True(generated);
        Assert.Equal(Path.Combine(dir, "apiserver.crt"), certFile);
        Assert.Equal(Path.Combine(dir, "apiserver.key"), keyFile);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));

        var pem = new X509Certificate2Collection();
        pem.ImportFromPemFile(certFile);
        Assert.Equal(2, pem.Count); // the certificate, then the CA that signed it
        var (leaf, ca) = (pem[0], pem[1]);
        Assert.Matches(@"^CN=[0-9.]+@\d+$", leaf.Subject);
        Assert.Equal(leaf.Subject.Replace("@", "-ca@", StringComparison.Ordinal), ca.Subject);
        Assert.Equal(ca.Subject, leaf.Issuer);
        var names = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains(IPAddress.Parse("10.96.0.1"), names.EnumerateIPAddresses());
        Assert.Contains(IPAddress.Loopback, names.EnumerateIPAddresses()); // the bind address
        Assert.Equal(["kubernetes.default.svc", "kubernetes.default", "kubernetes"], names.EnumerateDnsNames());
        Assert.InRange(leaf.NotAfter - leaf.NotBefore, TimeSpan.FromDays(364.9), TimeSpan.FromDays(365.1));
        using (var chain = new X509Chain())
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            Assert.True(chain.Build(leaf), string.Join(", ", chain.ChainStatus.Select(s => s.StatusInformation)));
        }
        using (var serving = ServingCertificate.FromFiles(certFile, keyFile))
        {
            Assert.True(serving.Leaf.HasPrivateKey);
            Assert.Single(serving.Chain);
        }

        var before = File.ReadAllBytes(certFile);
        Assert.False(SelfSignedCertificate.Ensure(dir, IPAddress.Loopback, "10.96.0.1").Generated);
        Assert.Equal(before, File.ReadAllBytes(certFile));

        File.Delete(keyFile);
        var e = Assert.Throws<ApiServerConfigException>(() => SelfSignedCertificate.Ensure(dir, IPAddress.Loopback, "10.96.0.1"));
        Assert.Equal($"error creating self-signed certificates: error reading {keyFile}, certificate and key must be supplied as a pair", e.Message);
    }

    [Fact]
    public void BindingEveryInterfaceNamesLocalhostInstead()
    {
        var (certFile, _, _) = SelfSignedCertificate.Ensure(_pki.Path("any"), IPAddress.Any, "10.0.0.1");
        using var leaf = X509Certificate2.CreateFromPem(File.ReadAllText(certFile));
        var names = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains("localhost", names.EnumerateDnsNames());
        Assert.DoesNotContain(IPAddress.Any, names.EnumerateIPAddresses());
    }

    [Fact]
    public void ClientCertificatesNameTheUserByCnAndTheGroupsByO()
    {
        var caFile = _pki.Ca("ca", "test-ca");
        _pki.Ca("other", "other-ca");
        var certificates = ClientCertificateAuthenticator.FromFile(caFile);

        var alice = Outcome(certificates, _pki.Client("ca", "alice", "dev", "ops"));
        Assert.Equal("alice", alice.User!.Name);
        Assert.Equal(["dev", "ops"], alice.User.Groups);

        var untrusted = Outcome(certificates, _pki.Client("other", "mallory"));
        Assert.Null(untrusted.User);
        Assert.Matches(@"^verifying certificate SN=\d+, SKID=[0-9A-F:]+, AKID=[0-9A-F:]+ failed: x509: certificate signed by unknown authority$", untrusted.Error);

        var serverOnly = Outcome(certificates, _pki.Issue("ca", "server-only", "/CN=web", "extendedKeyUsage=serverAuth"));
        Assert.EndsWith("failed: x509: certificate specifies an incompatible key usage", serverOnly.Error);

        var noCommonName = Outcome(certificates, _pki.Issue("ca", "no-cn", "/O=team", "extendedKeyUsage=clientAuth"));
        Assert.Equal(new ClientCertificateAuthenticator.Outcome(null, null), noCommonName); // nobody, and no error
    }

    [Fact]
    public void CredentialsAreTriedInKubesOrderAndABadOneIsNeverAnonymous()
    {
        var caFile = _pki.Ca("ca", "test-ca");
        _pki.Ca("other", "other-ca");
        var tokensFile = _pki.Path("tokens.csv");
        File.WriteAllText(tokensFile, "good,bob,7,\"g1,g2\"\n");
        using var alice = Load(_pki.Client("ca", "alice"));
        using var mallory = Load(_pki.Client("other", "mallory"));
        var tokens = TokenFileAuthenticator.FromFile(tokensFile, NullLogger.Instance);
        var chain = new RequestAuthenticator(ClientCertificateAuthenticator.FromFile(caFile), tokens, anonymousAuth: true);

        Assert.Equal(["system:authenticated"], chain.Authenticate(alice, "Bearer wrong").User!.Groups); // the certificate wins
        Assert.Equal("bob", chain.Authenticate(mallory, "bearer good").User!.Name); // a later credential may still authenticate
        Assert.Equal(["g1", "g2", "system:authenticated"], chain.Authenticate(null, "Bearer good").User!.Groups);
        var (user, failure) = chain.Authenticate(mallory, "Bearer wrong");
        Assert.Null(user);
        Assert.Matches(@"^\[verifying certificate .* failed: x509: certificate signed by unknown authority, invalid bearer token\]$", failure);
        Assert.Same(UserInfo.Anonymous, chain.Authenticate(null, "Basic YTpi").User); // not a bearer token: no credential
        Assert.Same(UserInfo.Anonymous, chain.Authenticate(null, null).User);
        Assert.Equal((null, ""), new RequestAuthenticator(null, tokens, anonymousAuth: false).Authenticate(null, null));
    }

    [Fact]
    public void FilesItCannotUseAreKubesErrors()
    {
        var missing = _pki.Path("absent.crt");
        var notPem = _pki.Path("not.pem");
        File.WriteAllText(notPem, "hello\n");
        var ca = _pki.Ca("ca", "test-ca");
        var (certA, keyA) = _pki.Server("ca", "a");
        var (_, keyB) = _pki.Server("ca", "b");
        var file = _pki.Path("plain-file");
        File.WriteAllText(file, "");

        Assert.Equal("missing filename for serving cert", LoadError(new() { TlsCertFile = certA }));
        Assert.Equal($"open {missing}: no such file or directory", LoadError(new() { TlsCertFile = missing, TlsPrivateKeyFile = keyA }));
        Assert.Equal("tls: failed to find any PEM data in certificate input", LoadError(new() { TlsCertFile = notPem, TlsPrivateKeyFile = keyA }));
        Assert.Equal("tls: failed to find any PEM data in key input", LoadError(new() { TlsCertFile = certA, TlsPrivateKeyFile = notPem }));
        Assert.Equal("tls: private key does not match public key", LoadError(new() { TlsCertFile = certA, TlsPrivateKeyFile = keyB }));
        Assert.Equal($"error creating self-signed certificates: mkdir {file}: not a directory", LoadError(new() { CertDir = Path.Combine(file, "certs") }));
        Assert.Equal($"unable to load client CA provider: open {missing}: no such file or directory",
            LoadError(new() { TlsCertFile = certA, TlsPrivateKeyFile = keyA, ClientCaFile = missing }));
        Assert.Equal($"unable to load client CA provider: error loading CA bundle for \"client-ca-bundle::{notPem}\": data does not contain any valid RSA or ECDSA certificates",
            LoadError(new() { TlsCertFile = certA, TlsPrivateKeyFile = keyA, ClientCaFile = notPem }));
        Assert.StartsWith("--tls-cert-file, --tls-private-key-file and --client-ca-file need HTTPS serving",
            LoadError(new() { TlsCertFile = certA, TlsPrivateKeyFile = keyA }, "http://127.0.0.1:8080"));

        Assert.Equal($"KeyFile and CertFile must both be present[key: , cert: {certA}]",
            Assert.Throws<ApiServerConfigException>(() => EtcdClientTls.FromFiles(ca, certA, "")).Message);
        Assert.Equal($"open {missing}: no such file or directory",
            Assert.Throws<ApiServerConfigException>(() => EtcdClientTls.FromFiles(missing, "", "")).Message);
        Assert.Null(EtcdClientTls.FromFiles("", "", ""));
    }

    private string LoadError(ApiServerSecurityOptions security, string url = "https://127.0.0.1:6443")
    {
        var defaultDir = new ApiServerSecurityOptions().CertDir;
        var options = new ApiServerOptions { ListenUrl = new Uri(url), Security = security.CertDir == defaultDir ? security with { CertDir = _pki.Path("certs") } : security };
        return Assert.Throws<ApiServerConfigException>(() => ApiServerSecurity.Load(options, NullLogger.Instance)).Message;
    }

    private static X509Certificate2 Load((string Cert, string Key) pair) => X509Certificate2.CreateFromPemFile(pair.Cert, pair.Key);

    private static ClientCertificateAuthenticator.Outcome Outcome(ClientCertificateAuthenticator authenticator, (string Cert, string Key) pair)
    {
        using var certificate = Load(pair);
        return authenticator.Authenticate(certificate);
    }

    public void Dispose() => _pki.Dispose();
}
