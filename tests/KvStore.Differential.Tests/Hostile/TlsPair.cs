using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;

namespace KvStore.Differential.Tests.Hostile;

/// <summary>
/// Client TLS as etcd is deployed: https client URLs, --client-cert-auth against the test CA, and its CRL
/// (--client-crl-file) revoking one client certificate (TestCertificates). The servers' own clients present the CA's
/// client certificate; the rows present others.
/// </summary>
public sealed class TlsPair : HostilePair
{
    public TestCertificates Certificates { get; } = new();

    /// <summary>A client certificate nobody signed (openssl, as an operator makes one), CN root.</summary>
    public (string Cert, string Key) SelfSigned { get; }

    public TlsPair()
    {
        string cert = Path.Combine(Certificates.Directory, "self-signed.crt"), key = Path.Combine(Certificates.Directory, "self-signed.key");
        var (code, _, err) = ChildProcess.Run("openssl",
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=root",
             "-addext", "extendedKeyUsage=clientAuth"]);
        if (code != 0) throw new InvalidOperationException("openssl: " + err);
        SelfSigned = (cert, key);
    }

    protected override string[] Flags => Certificates.ClientFlags(clientCertAuth: true, crl: true);

    protected override string ClientScheme => "https";

    private protected override HostileSide Side(SingleMember member) =>
        new(member, () => Channel(member.ClientUrl, Certificates.Client));

    /// <summary>A channel over TLS that trusts the test CA only and presents <paramref name="client"/>.</summary>
    internal GrpcChannel Channel(string url, (string Cert, string Key)? client)
    {
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => TrustedByCa(certificate);
        if (client is { } c) handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(c.Cert, c.Key)];
        return GrpcChannel.ForAddress(url, new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = null, DisposeHttpClient = true });
    }

    internal bool TrustedByCa(X509Certificate? certificate)
    {
        if (certificate is null) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(X509Certificate2.CreateFromPem(File.ReadAllText(Certificates.CaFile)));
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(new X509Certificate2(certificate));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Certificates.Dispose();
    }
}
