using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace KvStore.ApiServer.Security;

/// <summary>
/// kube's x509 request authenticator with CommonNameUserConversion: a client certificate that chains to a CA of
/// --client-ca-file and allows client authentication names the user by its Common Name and the groups by its
/// Organization fields. A certificate with no CN authenticates nobody; one that does not verify is an error (401).
/// Test: ApiServerSecurityTests.ClientCertificatesNameTheUserByCnAndTheGroupsByO.
/// </summary>
public sealed class ClientCertificateAuthenticator
{
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private readonly X509Certificate2Collection _roots;
    private readonly TimeProvider _clock;

    /// <summary>Verification outcomes per connection's certificate object (one chain build per TLS connection).</summary>
    private readonly ConditionalWeakTable<X509Certificate2, Outcome> _verified = new();

    private ClientCertificateAuthenticator(X509Certificate2Collection roots, TimeProvider clock) => (_roots, _clock) = (roots, clock);

    /// <summary>What a certificate proved: a user, nobody (no CN), or why it does not verify.</summary>
    public sealed record Outcome(UserInfo? User, string? Error);

    /// <summary>Loads the CA bundle (kube's NewDynamicCAContentFromFile), or throws with kube's message.</summary>
    public static ClientCertificateAuthenticator FromFile(string path, TimeProvider? clock = null)
    {
        try
        {
            var bundle = ApiServerConfigException.ReadFile(path);
            var name = $"client-ca-bundle::{path}";
            if (bundle.Length == 0) throw new ApiServerConfigException($"missing content for CA bundle \"{name}\"");
            var roots = new X509Certificate2Collection();
            try
            {
                roots.ImportFromPem(Encoding.UTF8.GetString(bundle));
            }
            catch (CryptographicException)
            {
                roots.Clear();
            }
            if (roots.Count == 0)
            {
                throw new ApiServerConfigException(
                    $"error loading CA bundle for \"{name}\": data does not contain any valid RSA or ECDSA certificates");
            }
            return new ClientCertificateAuthenticator(roots, clock ?? TimeProvider.System);
        }
        catch (ApiServerConfigException e)
        {
            throw new ApiServerConfigException("unable to load client CA provider: " + e.Message, e);
        }
    }

    public Outcome Authenticate(X509Certificate2 certificate)
    {
        var now = _clock.GetUtcNow();
        if (now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime())
        {
            return Failed(certificate, "x509: certificate has expired or is not yet valid");
        }
        return _verified.GetValue(certificate, Verify);
    }

    private Outcome Verify(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthOid));
        chain.ChainPolicy.VerificationTime = _clock.GetLocalNow().DateTime;
        if (!chain.Build(certificate))
        {
            var status = chain.ChainStatus.Select(s => s.Status).Aggregate(X509ChainStatusFlags.NoError, (a, b) => a | b);
            return Failed(certificate, status.HasFlag(X509ChainStatusFlags.NotValidForUsage) || status.HasFlag(X509ChainStatusFlags.InvalidExtension)
                ? "x509: certificate specifies an incompatible key usage"
                : status.HasFlag(X509ChainStatusFlags.NotTimeValid)
                    ? "x509: certificate has expired or is not yet valid"
                    : "x509: certificate signed by unknown authority");
        }
        var commonName = Attributes(certificate.SubjectName, "2.5.4.3").LastOrDefault(); // Go keeps the last CN
        if (string.IsNullOrEmpty(commonName)) return new Outcome(null, null);
        return new Outcome(new UserInfo(commonName, "", Attributes(certificate.SubjectName, "2.5.4.10")), null);
    }

    /// <summary>kube's message: "verifying certificate SN=..., SKID=..., AKID=... failed: REASON".</summary>
    private static Outcome Failed(X509Certificate2 certificate, string reason)
    {
        var serial = new System.Numerics.BigInteger(certificate.GetSerialNumber(), isUnsigned: true, isBigEndian: false);
        var skid = certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()?.SubjectKeyIdentifierBytes.ToArray() ?? [];
        var akid = certificate.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().FirstOrDefault()?.KeyIdentifier?.ToArray() ?? [];
        return new Outcome(null, $"verifying certificate SN={serial}, SKID={Hex(skid)}, AKID={Hex(akid)} failed: {reason}");
    }

    private static string Hex(byte[] bytes) => string.Join(':', bytes.Select(b => b.ToString("X2",
        System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>The subject's values of one attribute in order (2.5.4.3: CN, 2.5.4.10: O, as pkix.Name fills them).</summary>
    private static List<string> Attributes(X500DistinguishedName subject, string oid) =>
        subject.EnumerateRelativeDistinguishedNames(reversed: false)
            .Where(rdn => !rdn.HasMultipleElements && rdn.GetSingleElementType().Value == oid)
            .Select(rdn => rdn.GetSingleElementValue() ?? "")
            .ToList();
}
