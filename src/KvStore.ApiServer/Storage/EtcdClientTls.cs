using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using KvStore.ApiServer.Security;

namespace KvStore.ApiServer.Storage;

/// <summary>
/// kube-apiserver's etcd client TLS (--etcd-cafile, --etcd-certfile, --etcd-keyfile; etcd's transport.TLSInfo): the
/// CA bundle the etcd members' certificates must chain to (the system's roots when none is given) and the client
/// certificate offered to them. The server name is checked against the endpoint's host, as Go's TLS does.
/// Test: SecureFacadeTests.StandaloneOverTlsEtcdWithAnonymousAuthOff (etcd 3.4 with --client-cert-auth).
/// </summary>
public sealed class EtcdClientTls : IDisposable
{
    private readonly X509Certificate2Collection _roots;
    private readonly ServingCertificate? _clientPair;
    private readonly SslStreamCertificateContext? _clientContext;

    private EtcdClientTls(X509Certificate2Collection roots, ServingCertificate? clientPair)
    {
        (_roots, _clientPair) = (roots, clientPair);
        _clientContext = clientPair is null ? null : SslStreamCertificateContext.Create(clientPair.Leaf, clientPair.Chain, offline: true);
    }

    /// <summary>Null when no file is given (plain clients). Throws <see cref="ApiServerConfigException"/> with etcd's and
    /// Go's messages for a missing pair half, an unreadable file or bad PEM.</summary>
    public static EtcdClientTls? FromFiles(string caFile, string certFile, string keyFile)
    {
        if (caFile.Length == 0 && certFile.Length == 0 && keyFile.Length == 0) return null;
        if ((certFile.Length == 0) != (keyFile.Length == 0))
        {
            throw new ApiServerConfigException($"KeyFile and CertFile must both be present[key: {keyFile}, cert: {certFile}]");
        }
        var roots = new X509Certificate2Collection();
        if (caFile.Length > 0)
        {
            var bundle = Encoding.UTF8.GetString(ApiServerConfigException.ReadFile(caFile));
            try
            {
                roots.ImportFromPem(bundle);
            }
            catch (CryptographicException)
            {
                roots.Clear();
            }
            if (roots.Count == 0) throw new ApiServerConfigException($"failed to append certificates from {caFile}: no certificate found");
        }
        var client = certFile.Length == 0 ? null : ServingCertificate.FromPem(
            Encoding.UTF8.GetString(ApiServerConfigException.ReadFile(certFile)), Encoding.UTF8.GetString(
                ApiServerConfigException.ReadFile(keyFile)));
        return new EtcdClientTls(roots, client);
    }

    /// <summary>The handler a GrpcChannel to one https endpoint uses (several HTTP/2 connections as grpc-dotnet's own
    /// handler: watches are long-lived streams).</summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        EnableMultipleHttp2Connections = true,
        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        KeepAlivePingDelay = TimeSpan.FromSeconds(60),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
        SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificateContext = _clientContext,
            CertificateChainPolicy = _roots.Count == 0 ? null : ChainPolicy(),
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        },
    };

    private X509ChainPolicy ChainPolicy()
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(_roots);
        return policy;
    }

    public void Dispose()
    {
        _clientPair?.Dispose();
        foreach (var root in _roots) root.Dispose();
    }
}
