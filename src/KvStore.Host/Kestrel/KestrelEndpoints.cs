using System.Net;
using System.Net.Security;
using KvStore.Host.Flags;
using KvStore.Server.Transport;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace KvStore.Host.Kestrel;

/// <summary>
/// Kestrel's endpoints for a member: each http (or unix) --listen-client-urls URL serves HTTP/1.1 and, through
/// <see cref="Http2PrefaceSniffer"/>, gRPC over h2c on the same port; each https (or unixs) one serves both over
/// TLS, ALPN choosing h2 or http/1.1 (etcd's serve.go with the client TLS info); each --listen-metrics-urls URL
/// serves HTTP/1.1 only, over TLS when https. The HTTP/2 pipeline of the cleartext URLs comes from a private
/// HTTP/2-only unix socket no client uses.
/// </summary>
internal static class KestrelEndpoints
{
    private const string Http2SocketName = "kvstore-h2c.sock";

    // Longest unix socket path Linux accepts is 107 bytes (sun_path is 108 with its terminator).
    private const int MaxSocketPathLength = 100;

    /// <summary>Where the private HTTP/2 endpoint listens: in the data dir, or in the temp dir when that path is too long.</summary>
    public static string Http2SocketPath(string dataDir)
    {
        var path = Path.GetFullPath(Path.Combine(dataDir, Http2SocketName));
        return path.Length <= MaxSocketPathLength
            ? path
            : Path.Combine(Path.GetTempPath(), $"kvstore-{Environment.ProcessId}-{Http2SocketName}");
    }

    public static void Configure(KestrelServerOptions kestrel, HostSettings settings, string http2Socket)
    {
        kestrel.AddServerHeader = false;
        var http2 = kestrel.Limits.Http2;
        http2.MaxStreamsPerConnection = (int)Math.Clamp(settings.MaxConcurrentStreams, 1, int.MaxValue);
        http2.KeepAlivePingDelay = settings.GrpcKeepAliveInterval > TimeSpan.Zero
            ? Max(settings.GrpcKeepAliveInterval, TimeSpan.FromSeconds(1))
            : TimeSpan.MaxValue;
        http2.KeepAlivePingTimeout = settings.GrpcKeepAliveTimeout > TimeSpan.Zero
            ? Max(settings.GrpcKeepAliveTimeout, TimeSpan.FromSeconds(1))
            : TimeSpan.MaxValue;

        File.Delete(http2Socket);
        ConnectionDelegate? http2Pipeline = null;
        kestrel.ListenUnixSocket(http2Socket, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            // Runs when Kestrel builds this endpoint's pipeline: next is its HTTP/2 connection handler.
            listen.Use(next => http2Pipeline = next);
        });

        TlsInfo clientTls = settings.Tls.Client;
        foreach (var url in settings.Server.ListenClientUrls)
        {
            Listen(kestrel, url, listen =>
            {
                if (TlsSettings.IsSecure(url))
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    listen.UseHttps(Tls(clientTls, ClientAlpn));
                    listen.Use(Http2PrefaceSniffer.TlsMiddleware(http2));
                }
                else
                {
                    listen.Protocols = HttpProtocols.Http1;
                    listen.Use(Http2PrefaceSniffer.Middleware(() => http2Pipeline, http2));
                }
            });
        }
        foreach (var url in settings.ListenMetricsUrls)
        {
            Listen(kestrel, url, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                if (TlsSettings.IsSecure(url)) listen.UseHttps(Tls(clientTls, MetricsAlpn));
            });
        }
    }

    private static readonly List<SslApplicationProtocol> ClientAlpn = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];
    private static readonly List<SslApplicationProtocol> MetricsAlpn = [SslApplicationProtocol.Http11];

    /// <summary>The client TLS info's options for each handshake (a rotated certificate is read again; the CRL on every connection).</summary>
    private static TlsHandshakeCallbackOptions Tls(TlsInfo tls, List<SslApplicationProtocol> alpn) => new()
    {
        OnConnection = context => ValueTask.FromResult(tls.ServerOptions(context.Connection.RemoteEndPoint, alpn, checkClientSan: false)),
        HandshakeTimeout = TimeSpan.FromSeconds(10),
    };

    private static void Listen(KestrelServerOptions kestrel, Uri url, Action<ListenOptions> configure)
    {
        if (url.Scheme is "unix" or "unixs")
        {
            // etcd's unix://host:port listens on the socket file "host:port" (relative to the working directory), removed first.
            string path = Path.GetFullPath(url.Authority + url.AbsolutePath.TrimEnd('/'));
            File.Delete(path);
            kestrel.ListenUnixSocket(path, configure);
        }
        else if (url.Host == "localhost")
        {
            kestrel.ListenLocalhost(url.Port, configure);
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(url.DnsSafeHost), url.Port, configure);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
