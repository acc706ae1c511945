using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KvStore.ApiServer.Security;

/// <summary>
/// kube-apiserver's serving certificate when none is given (SecureServingOptions.MaybeDefaultWithSelfSignedCerts and
/// client-go's GenerateSelfSignedCertKey): a CA "HOST-ca@UNIX" signs "HOST@UNIX", both RSA 2048, valid one year from an
/// hour ago; the certificate file holds the certificate then the CA. Names: the public address, the `kubernetes`
/// service's IP and DNS names, and the bind address (or "localhost" when binding every interface). Kept as
/// CERT_DIR/apiserver.crt and apiserver.key and reused while both are readable.
/// Test: ApiServerSecurityTests.SelfSignedPairIsKubesAndIsReusedOnRestart.
/// </summary>
public static class SelfSignedCertificate
{
    public const string PairName = "apiserver";

    /// <summary>The DNS names kube-apiserver adds: the `kubernetes` service's names in the default namespace.</summary>
    public static readonly IReadOnlyList<string> ServiceDnsNames = ["kubernetes.default.svc", "kubernetes.default", "kubernetes"];

    /// <summary>
    /// The pair under <paramref name="certDir"/>, generated first when neither file is there. Returns the two paths.
    /// </summary>
    public static (string CertFile, string KeyFile, bool Generated) Ensure(string certDir, IPAddress bindAddress, string serviceIp)
    {
        var certFile = Path.Combine(certDir, PairName + ".crt");
        var keyFile = Path.Combine(certDir, PairName + ".key");
        try
        {
            bool certReadable = CanRead(certFile), keyReadable = CanRead(keyFile);
            if (certReadable && keyReadable) return (certFile, keyFile, false);
            if (certReadable != keyReadable)
            {
                throw new ApiServerConfigException(
                    $"error reading {(certReadable ? keyFile : certFile)}, certificate and key must be supplied as a pair");
            }
            var host = PublicAddress(bindAddress);
            var ips = new List<IPAddress> { IPAddress.Parse(serviceIp) };
            var dns = new List<string>(ServiceDnsNames);
            if (IsUnspecified(bindAddress)) dns.Add("localhost");
            else ips.Add(bindAddress);
            var (cert, key) = Generate(host.ToString(), ips, dns, DateTimeOffset.UtcNow);
            Write(certFile, cert, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            Write(keyFile, key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            return (certFile, keyFile, true);
        }
        catch (ApiServerConfigException e)
        {
            throw new ApiServerConfigException("error creating self-signed certificates: " + e.Message, e);
        }
    }

    /// <summary>A CA and a serving certificate it signed, as PEM (certificate then CA) and the key as PKCS#1 PEM.</summary>
    public static (string CertPem, string KeyPem) Generate(string host, IReadOnlyList<IPAddress> alternateIps, IReadOnlyList<string> alternateDns,
        DateTimeOffset now)
    {
        var validFrom = now.AddHours(-1); // valid an hour earlier against clock skew, as kube
        var notAfter = validFrom.AddDays(365);
        var unix = now.ToUnixTimeSeconds();

        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest(CommonName($"{host}-ca@{unix}"), caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, critical: true));
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, critical: true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, critical: false));
        using var ca = caRequest.Create(caRequest.SubjectName, X509SignatureGenerator.CreateForRSA(caKey, RSASignaturePadding.Pkcs1),
            validFrom, notAfter, [1]);

        using var key = RSA.Create(2048);
        var request = new CertificateRequest(CommonName($"{host}@{unix}"), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true,
            includeIssuerAndSerial: false));
        var names = new SubjectAlternativeNameBuilder();
        if (IPAddress.TryParse(host, out var hostIp)) names.AddIpAddress(hostIp);
        else names.AddDnsName(host);
        foreach (var ip in alternateIps) names.AddIpAddress(ip);
        foreach (var dns in alternateDns) names.AddDnsName(dns);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForRSA(caKey, RSASignaturePadding.Pkcs1),
            validFrom, notAfter, [2]);

        return (certificate.ExportCertificatePem() + "\n" + ca.ExportCertificatePem() + "\n", key.ExportRSAPrivateKeyPem() + "\n");
    }

    /// <summary>
    /// kube's ResolveBindAddress: a bind address that is neither unspecified nor loopback is the public address; else
    /// the address of the interface with the default route (an up, non-loopback IPv4 interface with a gateway), else
    /// any up non-loopback IPv4 address, else 127.0.0.1.
    /// </summary>
    public static IPAddress PublicAddress(IPAddress bindAddress)
    {
        if (!IsUnspecified(bindAddress) && !IPAddress.IsLoopback(bindAddress)) return bindAddress;
        IPAddress? any = null;
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback) continue;
            var properties = nic.GetIPProperties();
            foreach (var address in properties.UnicastAddresses.Select(a => a.Address))
            {
                if (address.AddressFamily != AddressFamily.InterNetwork || IPAddress.IsLoopback(address)) continue;
                if (properties.GatewayAddresses.Count > 0) return address;
                any ??= address;
            }
        }
        return any ?? IPAddress.Loopback;
    }

    private static bool IsUnspecified(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

    private static X500DistinguishedName CommonName(string name)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName(name);
        return builder.Build();
    }

    private static bool CanRead(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Go's os.MkdirAll error: the first ancestor that is a file is "not a directory".</summary>
    private static string MkdirError(string dir, Exception e)
    {
        for (var path = dir; !string.IsNullOrEmpty(path); path = Path.GetDirectoryName(path))
        {
            if (File.Exists(path)) return $"mkdir {path}: not a directory";
        }
        return $"mkdir {dir}: {(e is UnauthorizedAccessException ? "permission denied" : e.Message)}";
    }

    /// <summary>certutil.WriteCert / keyutil.WriteKey: the directory made (0755), the file written with the given mode.</summary>
    private static void Write(string path, string pem, UnixFileMode mode)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ApiServerConfigException(MkdirError(dir, e), e);
        }
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
            using var file = new FileStream(path, options);
            using var writer = new StreamWriter(file);
            writer.Write(pem);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ApiServerConfigException(ApiServerConfigException.OpenError(path, e), e);
        }
    }
}
