using System.Net.Security;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KvStore.Server.Transport;

namespace KvStore.Server.Tests.Transport;

/// <summary>etcd's TLSInfo pieces: cipher suite names, the CRL reader, self-signed certificates and the start-up checks with etcd's messages.</summary>
public sealed class TlsInfoTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kvstore-tlsinfo-tests", Guid.NewGuid().ToString("N"));

    public TlsInfoTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Cipher_suites_are_gos_names_with_etcds_aliases()
    {
        Assert.Equal(
            [TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256],
            TlsCipherSuites.Parse(["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305"]));
        var e = Assert.Throws<TlsConfigException>(() => TlsCipherSuites.Parse(["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"]));
        Assert.Equal("unexpected TLS cipher suite \"ECDHE-RSA-AES128-GCM-SHA256\"", e.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_crl_lists_the_revoked_serial_numbers_in_pem_or_der(bool pem)
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=ca", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.KeyCertSign, true));
        using X509Certificate2 ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var builder = new CertificateRevocationListBuilder();
        builder.AddEntry([0x01, 0x02, 0x03]);
        builder.AddEntry([0x45, 0x67]);
        byte[] der = builder.Build(ca, BigInteger.One, DateTimeOffset.UtcNow.AddDays(1), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        byte[] file = pem ? System.Text.Encoding.ASCII.GetBytes(PemEncoding.WriteString("X509 CRL", der)) : der;

        Assert.Equal(["010203", "4567"], RevocationList.RevokedSerials(file).Order());
    }

    [Fact]
    public void Self_signed_certificates_are_etcds_and_kept_once_written()
    {
        string dir = Path.Combine(_dir, "fixtures", "client");
        TlsInfo info = SelfCert.Create(dir, ["127.0.0.1", "localhost"], 2, []);

        Assert.True(info.SelfCert);
        using X509Certificate2 cert = X509Certificate2.CreateFromPemFile(info.CertFile, info.KeyFile);
        Assert.Equal("O=etcd", cert.Subject);
        Assert.True(cert.MatchesHostname("127.0.0.1") && cert.MatchesHostname("localhost"));
        Assert.InRange((cert.NotAfter - cert.NotBefore).TotalDays, 729, 731);
        Assert.Equal(521, cert.GetECDsaPublicKey()!.KeySize);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(info.KeyFile));

        string written = File.ReadAllText(info.CertFile);
        SelfCert.Create(dir, ["10.0.0.1"], 1, []);
        Assert.Equal(written, File.ReadAllText(info.CertFile));
        Assert.Equal("selfSignedCertValidity is invalid,it should be greater than 0",
            Assert.Throws<TlsConfigException>(() => SelfCert.Create(Path.Combine(_dir, "other"), ["a"], 0, [])).Message);
    }

    [Fact]
    public void Validate_fails_with_etcds_messages()
    {
        TlsInfo self = SelfCert.Create(Path.Combine(_dir, "a"), ["127.0.0.1"], 1, []);
        TlsInfo other = SelfCert.Create(Path.Combine(_dir, "b"), ["127.0.0.1"], 1, []);
        self.Validate();

        Assert.Equal("KeyFile and CertFile must both be present[key: , cert: x.crt]",
            Assert.Throws<TlsConfigException>(() => new TlsInfo { CertFile = "x.crt" }.Validate()).Message);
        Assert.Equal("open nope.crt: no such file or directory",
            Assert.Throws<TlsConfigException>(() => (self with { CertFile = "nope.crt" }).Validate()).Message);
        Assert.Equal("tls: private key does not match public key",
            Assert.Throws<TlsConfigException>(() => (self with { KeyFile = other.KeyFile }).Validate()).Message);
        string garbage = Path.Combine(_dir, "garbage.crt");
        File.WriteAllText(garbage, "not a certificate");
        Assert.Equal("tls: failed to find any PEM data in certificate input",
            Assert.Throws<TlsConfigException>(() => (self with { CertFile = garbage }).Validate()).Message);
        Assert.Equal("AllowedCN and AllowedHostname are mutually exclusive (cn=\"a\", hostname=\"b\")",
            Assert.Throws<TlsConfigException>(() => (self with { AllowedCn = "a", AllowedHostname = "b" }).Validate()).Message);
    }
}
