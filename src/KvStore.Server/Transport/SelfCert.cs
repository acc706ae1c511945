using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KvStore.Server.Transport;

/// <summary>
/// etcd's transport.SelfCert (--auto-tls in &lt;data-dir&gt;/fixtures/client, --peer-auto-tls in fixtures/peer):
/// cert.pem and key.pem are kept when both exist; otherwise an ECDSA P-521 certificate, organization "etcd", for
/// server authentication, valid for the hosts of the listen URLs (IP or DNS SANs) from now for
/// <c>validityYears</c> x 365 days (etcd 3.5's --self-signed-cert-validity), is written there.
/// </summary>
public static class SelfCert
{
    public static TlsInfo Create(string directory, IEnumerable<string> hosts, uint validityYears,
        IReadOnlyList<System.Net.Security.TlsCipherSuite> cipherSuites)
    {
        if (validityYears == 0) throw new TlsConfigException("selfSignedCertValidity is invalid,it should be greater than 0");
        string cert = Path.Combine(directory, "cert.pem"), key = Path.Combine(directory, "key.pem");
        var info = new TlsInfo { CertFile = cert, KeyFile = key, SelfCert = true, CipherSuites = cipherSuites };
        if (File.Exists(cert) && File.Exists(key)) return info;
        try
        {
            Directory.CreateDirectory(directory);
            using var privateKey = ECDsa.Create(ECCurve.NamedCurves.nistP521);
            var request = new CertificateRequest(new X500DistinguishedName("O=etcd"), privateKey, HashAlgorithmName.SHA512);
            request.CertificateExtensions.Add(
                new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DigitalSignature, critical: true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
            var san = new SubjectAlternativeNameBuilder();
            foreach (string host in hosts)
            {
                if (IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? ip)) san.AddIpAddress(ip);
                else san.AddDnsName(host);
            }
            request.CertificateExtensions.Add(san.Build());
            DateTimeOffset now = DateTimeOffset.UtcNow;
            byte[] serial = RandomNumberGenerator.GetBytes(16);
            serial[0] &= 0x7f; // a positive number below 2^128, as etcd's
            using X509Certificate2 certificate = request.Create(request.SubjectName, X509SignatureGenerator.CreateForECDsa(privateKey),
                now, now.AddDays(365.0 * validityYears), serial);
            File.WriteAllText(cert, certificate.ExportCertificatePem());
            var keyOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) keyOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var keyFile = new StreamWriter(key, keyOptions)) keyFile.Write(privateKey.ExportECPrivateKeyPem());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new TlsConfigException($"cannot generate cert: {e.Message}");
        }
        return info;
    }

    /// <summary>The hosts of listen URLs (etcd passes u.Host and keeps the part before the port).</summary>
    public static IEnumerable<string> HostsOf(IEnumerable<Uri> urls) => urls.Select(u => u.Host).Distinct(StringComparer.Ordinal);
}
