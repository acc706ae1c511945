using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KvStore.TestSupport;

/// <summary>
/// PEM certificates for TLS tests, written to a temp directory (deleted on dispose): a CA with server, peer and
/// client certificates (SANs 127.0.0.1 and localhost), more clients (any CN), a revoked client with the CA's CRL,
/// a second CA with its own client, an expired client, and self-signed ones. Paths are returned as
/// (cert, key); flags for etcd or kvstore come from <see cref="ClientFlags"/> and <see cref="PeerFlags"/>.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private readonly (X509Certificate2 Cert, RSA Key) _ca;
    private readonly (X509Certificate2 Cert, RSA Key) _otherCa;
    private readonly List<byte[]> _revoked = [];

    public TestCertificates()
    {
        Directory = Path.Combine(Path.GetTempPath(), "kvstore-tests-certs", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        _ca = CreateCa("kvstore-test-ca");
        CaFile = WritePem("ca.crt", _ca.Cert.ExportCertificatePem());
        _otherCa = CreateCa("other-ca");
        OtherCaFile = WritePem("other-ca.crt", _otherCa.Cert.ExportCertificatePem());
        Server = Issue("server", "server", serverAuth: true, clientAuth: true);
        Peer = Issue("peer", "peer", serverAuth: true, clientAuth: true);
        Client = Issue("client", "root", serverAuth: false, clientAuth: true);
        OtherCaClient = Issue("other-client", "root", serverAuth: false, clientAuth: true, issuer: _otherCa);
        Revoked = Issue("revoked", "root", serverAuth: false, clientAuth: true, revoke: true);
        Expired = Issue("expired", "root", serverAuth: false, clientAuth: true, expired: true);
        CrlFile = WriteCrl();
    }

    public string Directory { get; }
    public string CaFile { get; }
    public string OtherCaFile { get; }
    public string CrlFile { get; }
    public (string Cert, string Key) Server { get; }
    public (string Cert, string Key) Peer { get; }

    /// <summary>A client certificate with CN root.</summary>
    public (string Cert, string Key) Client { get; }

    /// <summary>CN root, signed by another CA.</summary>
    public (string Cert, string Key) OtherCaClient { get; }

    /// <summary>CN root, listed in <see cref="CrlFile"/>.</summary>
    public (string Cert, string Key) Revoked { get; }

    /// <summary>CN root, valid until yesterday.</summary>
    public (string Cert, string Key) Expired { get; }

    /// <summary>A further certificate of the CA: <paramref name="cn"/> as CN, SANs 127.0.0.1 and localhost, client (and server) authentication.</summary>
    public (string Cert, string Key) Issue(string name, string cn, bool serverAuth = false, bool clientAuth = true) =>
        Issue(name, cn, serverAuth, clientAuth, issuer: null);

    /// <summary>etcd's client TLS flags for a member serving <see cref="Server"/>, trusting the CA; with client-cert-auth when asked.</summary>
    public string[] ClientFlags(bool clientCertAuth = true, bool crl = false) =>
    [
        "--cert-file", Server.Cert, "--key-file", Server.Key, "--trusted-ca-file", CaFile,
        .. clientCertAuth ? ["--client-cert-auth"] : Array.Empty<string>(),
        .. crl ? ["--client-crl-file", CrlFile] : Array.Empty<string>(),
    ];

    /// <summary>etcd's peer TLS flags: <see cref="Peer"/> as the member's certificate, the CA trusted, client certificates required.</summary>
    public string[] PeerFlags(string? allowedCn = null) =>
    [
        "--peer-cert-file", Peer.Cert, "--peer-key-file", Peer.Key, "--peer-trusted-ca-file", CaFile, "--peer-client-cert-auth",
        .. allowedCn is null ? Array.Empty<string>() : ["--peer-cert-allowed-cn", allowedCn],
    ];

    /// <summary>etcdctl's flags for a client presenting <paramref name="client"/> (default <see cref="Client"/>) and trusting the CA.</summary>
    public string[] EtcdctlFlags((string Cert, string Key)? client = null)
    {
        var (cert, key) = client ?? Client;
        return ["--cacert", CaFile, "--cert", cert, "--key", key];
    }

    private (string Cert, string Key) Issue(string name, string cn, bool serverAuth, bool clientAuth,
        (X509Certificate2 Cert, RSA Key)? issuer = null, bool revoke = false, bool expired = false)
    {
        var (caCert, caKey) = issuer ?? _ca;
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={cn}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        var usages = new OidCollection();
        if (serverAuth) usages.Add(new Oid("1.3.6.1.5.5.7.3.1"));
        if (clientAuth) usages.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        byte[] serial = RandomNumberGenerator.GetBytes(12);
        serial[0] = (byte)(0x40 | (serial[0] & 0x3f)); // positive and minimally encoded: the CRL lists the same bytes
        DateTimeOffset now = DateTimeOffset.UtcNow;
        (DateTimeOffset from, DateTimeOffset to) = expired ? (now.AddDays(-30), now.AddDays(-1)) : (now.AddMinutes(-5), now.AddDays(30));
        using X509Certificate2 cert = request.Create(caCert.SubjectName, X509SignatureGenerator.CreateForRSA(caKey, RSASignaturePadding.Pkcs1), from, to, serial);
        if (revoke) _revoked.Add(serial);
        return (WritePem(name + ".crt", cert.ExportCertificatePem()), WritePem(name + ".key", key.ExportPkcs8PrivateKeyPem()));
    }

    private static (X509Certificate2, RSA) CreateCa(string cn)
    {
        RSA key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={cn}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        return (request.CreateSelfSigned(now.AddDays(-1), now.AddYears(5)), key);
    }

    private string WriteCrl()
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (byte[] serial in _revoked) builder.AddEntry(serial, DateTimeOffset.UtcNow.AddMinutes(-1));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        byte[] der = builder.Build(_ca.Cert, BigInteger.One, now.AddDays(7), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, now.AddMinutes(-5));
        return WritePem("ca.crl", PemEncoding.WriteString("X509 CRL", der));
    }

    private string WritePem(string name, string pem)
    {
        string path = Path.Combine(Directory, name);
        File.WriteAllText(path, pem + "\n");
        return path;
    }

    public void Dispose()
    {
        _ca.Key.Dispose();
        _otherCa.Key.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
