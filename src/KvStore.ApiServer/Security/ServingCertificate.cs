using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace KvStore.ApiServer.Security;

/// <summary>
/// The certificate the facade serves HTTPS with: --tls-cert-file (the server certificate first, CA certificates after
/// it, sent along as its chain) and --tls-private-key-file, checked as Go's tls.X509KeyPair checks them.
/// </summary>
public sealed class ServingCertificate : IDisposable
{
    private ServingCertificate(X509Certificate2 leaf, X509Certificate2Collection chain) => (Leaf, Chain) = (leaf, chain);

    public X509Certificate2 Leaf { get; }

    /// <summary>The certificates after the first in the certificate file.</summary>
    public X509Certificate2Collection Chain { get; }

    /// <summary>Loads the pair (kube's NewDynamicServingContentFromFiles), or throws with kube's message.</summary>
    public static ServingCertificate FromFiles(string certFile, string keyFile)
    {
        if (certFile.Length == 0 || keyFile.Length == 0) throw new ApiServerConfigException("missing filename for serving cert");
        var cert = ApiServerConfigException.ReadFile(certFile);
        var key = ApiServerConfigException.ReadFile(keyFile);
        if (cert.Length == 0 || key.Length == 0)
        {
            throw new ApiServerConfigException($"missing content for serving cert \"serving-cert::{certFile}::{keyFile}\"");
        }
        return FromPem(Encoding.UTF8.GetString(cert), Encoding.UTF8.GetString(key));
    }

    /// <summary>A PEM certificate list and its key (tls.X509KeyPair's checks and messages).</summary>
    public static ServingCertificate FromPem(string certPem, string keyPem)
    {
        var all = new X509Certificate2Collection();
        try
        {
            all.ImportFromPem(certPem);
        }
        catch (CryptographicException e)
        {
            throw new ApiServerConfigException("tls: failed to parse certificate from server: " + e.Message, e);
        }
        if (all.Count == 0) throw new ApiServerConfigException("tls: failed to find any PEM data in certificate input");
        if (!keyPem.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw new ApiServerConfigException("tls: failed to find any PEM data in key input");
        }
        X509Certificate2 leaf;
        try
        {
            leaf = X509Certificate2.CreateFromPem(certPem, keyPem);
        }
        catch (CryptographicException e)
        {
            throw new ApiServerConfigException("tls: private key does not match public key", e);
        }
        var chain = new X509Certificate2Collection();
        for (var i = 1; i < all.Count; i++) chain.Add(all[i]);
        all[0].Dispose();
        return new ServingCertificate(leaf, chain);
    }

    public void Dispose()
    {
        Leaf.Dispose();
        foreach (var certificate in Chain) certificate.Dispose();
    }
}
