using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KvStore.Server.Transport;

/// <summary>
/// etcd's checkCRL (--client-crl-file, --peer-crl-file): the file (PEM "X509 CRL" or DER) is read on every
/// connection, and a certificate of the client's chain whose serial number the list revokes refuses the connection.
/// As etcd, only serial numbers are compared: the list's issuer and signature are not checked.
/// </summary>
internal static class RevocationList
{
    /// <summary>Whether the list revokes a certificate of <paramref name="chain"/> other than its root; an unreadable list refuses too.</summary>
    public static bool Revokes(string crlFile, X509Chain chain)
    {
        HashSet<string> revoked;
        try
        {
            revoked = RevokedSerials(File.ReadAllBytes(crlFile));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or AsnContentException or CryptographicException or FormatException)
        {
            return true;
        }
        int count = chain.ChainElements.Count;
        for (int i = 0; i < Math.Max(1, count - 1) && i < count; i++)
        {
            if (revoked.Contains(chain.ChainElements[i].Certificate.SerialNumber)) return true;
        }
        return false;
    }

    /// <summary>
    /// The serial numbers (upper-case hex, as <see cref="X509Certificate2.SerialNumber"/> prints them) of a CRL's revoked certificates.
    /// </summary>
    internal static HashSet<string> RevokedSerials(byte[] file)
    {
        byte[] der = Der(file);
        var serials = new HashSet<string>(StringComparer.Ordinal);
        // CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue } (RFC 5280, 5.1)
        AsnReader list = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        AsnReader tbs = list.ReadSequence();
        if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer)) tbs.ReadInteger(); // version
        tbs.ReadSequence(); // signature
        tbs.ReadSequence(); // issuer
        tbs.ReadEncodedValue(); // thisUpdate
        if (tbs.HasData && IsTime(tbs.PeekTag())) tbs.ReadEncodedValue(); // nextUpdate
        if (!tbs.HasData || !tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence)) return serials;
        AsnReader revokedCertificates = tbs.ReadSequence();
        while (revokedCertificates.HasData)
        {
            AsnReader entry = revokedCertificates.ReadSequence();
            serials.Add(Convert.ToHexString(entry.ReadIntegerBytes().Span));
        }
        return serials;
    }

    private static bool IsTime(Asn1Tag tag) =>
        tag.HasSameClassAndValue(Asn1Tag.UtcTime) || tag.HasSameClassAndValue(Asn1Tag.GeneralizedTime);

    /// <summary>Go's x509.ParseCRL: PEM with an "X509 CRL" block, else DER as it is.</summary>
    private static byte[] Der(byte[] file)
    {
        string text = System.Text.Encoding.ASCII.GetString(file);
        if (!text.Contains("-----BEGIN X509 CRL-----", StringComparison.Ordinal)) return file;
        PemFields fields = PemEncoding.Find(text);
        return Convert.FromBase64String(text[fields.Base64Data]);
    }
}
