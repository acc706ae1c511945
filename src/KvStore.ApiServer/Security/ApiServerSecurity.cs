using System.Net;
using System.Security.Authentication;
using KvStore.ApiServer.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace KvStore.ApiServer.Security;

/// <summary>
/// The facade's secure serving and authentication, read from <see cref="ApiServerSecurityOptions"/> when it starts:
/// the serving certificate (files, or kube's self-signed pair) for an https listen URL, and the authenticators.
/// </summary>
public sealed class ApiServerSecurity : IDisposable
{
    private ApiServerSecurity(ServingCertificate? serving, RequestAuthenticator authenticator) => (Serving, Authenticator) = (serving, authenticator);

    /// <summary>Null when the listen URL is http.</summary>
    public ServingCertificate? Serving { get; }

    public RequestAuthenticator Authenticator { get; }

    /// <summary>Reads the files the options name (generating the self-signed pair if needed); throws
    /// <see cref="ApiServerConfigException"/> with kube-apiserver's message.</summary>
    public static ApiServerSecurity Load(ApiServerOptions options, ILogger logger)
    {
        var security = options.Security;
        var https = options.ListenUrl.Scheme == Uri.UriSchemeHttps;
        if (!https && (security.TlsCertFile.Length > 0 || security.TlsPrivateKeyFile.Length > 0 || security.ClientCaFile.Length > 0))
        {
            throw new ApiServerConfigException(
                $"--tls-cert-file, --tls-private-key-file and --client-ca-file need HTTPS serving; " +
                    $"{options.ListenUrl.GetLeftPart(UriPartial.Authority)} is http");
        }
        ServingCertificate? serving = null;
        if (https)
        {
            var (certFile, keyFile) = (security.TlsCertFile, security.TlsPrivateKeyFile);
            if (certFile.Length == 0 && keyFile.Length == 0)
            {
                var bind = BindAddress(options.ListenUrl);
                var serviceIp = ClusterIpRange.Parse(options.ServiceClusterIpRange).At(0);
                (certFile, keyFile, var generated) = SelfSignedCertificate.Ensure(security.CertDir, bind, serviceIp);
                if (generated) Log.GeneratedSelfSigned(logger, certFile, keyFile);
            }
            serving = ServingCertificate.FromFiles(certFile, keyFile);
        }
        var certificates = security.ClientCaFile.Length > 0 ? ClientCertificateAuthenticator.FromFile(security.ClientCaFile) : null;
        var tokens = security.TokenAuthFile.Length > 0 ? TokenFileAuthenticator.FromFile(security.TokenAuthFile, logger) : null;
        return new ApiServerSecurity(serving, new RequestAuthenticator(certificates, tokens, security.AnonymousAuth));
    }

    /// <summary>The IP the listen URL binds ("localhost" as 127.0.0.1, a name as every interface).</summary>
    public static IPAddress BindAddress(Uri listenUrl) =>
        listenUrl.IsLoopback && !IPAddress.TryParse(listenUrl.Host.Trim('[', ']'), out _) ? IPAddress.Loopback
        : IPAddress.TryParse(listenUrl.Host.Trim('[', ']'), out var ip) ? ip
        : IPAddress.Any;

    /// <summary>HTTP/1.1 and HTTP/2 (ALPN), TLS 1.2+; a client certificate is asked for when a CA bundle is configured and
    /// checked per request by the authenticator, so an untrusted one is kube's 401, not a failed handshake.</summary>
    public void Configure(ListenOptions listen)
    {
        if (Serving is null) return;
        listen.Protocols = HttpProtocols.Http1AndHttp2;
        listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = Serving.Leaf,
            ServerCertificateChain = Serving.Chain,
            SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ClientCertificateMode = Authenticator.WantsClientCertificates ? ClientCertificateMode.AllowCertificate
                : ClientCertificateMode.NoCertificate,
            ClientCertificateValidation = (_, _, _) => true,
            CheckCertificateRevocation = false,
        });
    }

    public void Dispose() => Serving?.Dispose();
}
