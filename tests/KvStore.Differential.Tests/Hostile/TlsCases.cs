using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using Etcdserverpb;

namespace KvStore.Differential.Tests.Hostile;

/// <summary>
/// Hostile TLS clients of a <see cref="TlsPair"/>: certificates the server must refuse (none, another CA's, expired,
/// revoked, self-signed), plain text and garbage on the TLS port, and an HTTP/2 request that is not gRPC. The
/// outcome is what the server does to the connection, seen on the wire: the TLS alert it sends, or how it ends it.
/// </summary>
internal static partial class TlsCases
{
    private const string ClosedAfterHandshake = "closed after the handshake";

    private const string NoAlert = "kvstore's TLS server (.NET's SslStream over OpenSSL) refuses the certificate after the handshake "
        + "and closes the connection without the TLS alert Go sends (clients see the connection end, not \"remote error: tls: bad certificate\")";

    public static IEnumerable<HostileCase> For(TlsPair? pair) =>
    [
        new("tls: the CA's client certificate (control)", "accepted: HTTP/2 SETTINGS", s => HandshakeAsync(s, pair!, pair!.Certificates.Client)),
        new("tls: no client certificate", ClosedAfterHandshake, s => HandshakeAsync(s, pair!, null))
        {
            Etcd34 = "refused: alert bad certificate", Why = NoAlert,
        },
        new("tls: client certificate of another CA", ClosedAfterHandshake, s => HandshakeAsync(s, pair!, pair!.Certificates.OtherCaClient))
        {
            Etcd34 = "refused: alert bad certificate", Why = NoAlert,
        },
        new("tls: expired client certificate", ClosedAfterHandshake, s => HandshakeAsync(s, pair!, pair!.Certificates.Expired))
        {
            Etcd34 = "refused: alert bad certificate", Why = NoAlert,
        },
        new("tls: client certificate the CRL revokes", ClosedAfterHandshake, s => HandshakeAsync(s, pair!, pair!.Certificates.Revoked)),
        new("tls: self-signed client certificate", ClosedAfterHandshake, s => HandshakeAsync(s, pair!, pair!.SelfSigned))
        {
            Etcd34 = "refused: alert bad certificate", Why = NoAlert,
        },
        new("tls: plain HTTP/1.1 on the TLS port", "closed without an answer", s => RawSocket.ExchangeAsync(s.ClientUrl, Encoding.ASCII.GetBytes(
            "GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"), TimeSpan.FromSeconds(3))),
        new("tls: plain HTTP/2 preface on the TLS port", "closed without an answer", s => RawSocket.ExchangeAsync(s.ClientUrl,
            [.. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8, 0, 0, 0, 4, 0, 0, 0, 0, 0], TimeSpan.FromSeconds(3))),
        new("tls: garbage on the TLS port", "closed without an answer", s => RawSocket.ExchangeAsync(s.ClientUrl,
            [.. Enumerable.Range(0, 512).Select(i => (byte)(i * 7 + 3))], TimeSpan.FromSeconds(3))),
        new("tls: HTTP/2 request to a gRPC path, not gRPC", "HTTP 404 \"404 page not found\"", async s =>
        {
            var handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, c, _, _) => pair!.TrustedByCa(c);
            handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(pair!.Certificates.Client.Cert, pair.Certificates.Client.Key)];
            using var http = new HttpClient(handler);
            using var request = new HttpRequestMessage(HttpMethod.Post, s.ClientUrl + "/etcdserverpb.KV/Range")
            {
                Version = System.Net.HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new ByteArrayContent(RawGrpc.Frame([0x0a, 0x01, 0x61])),
            };
            request.Content.Headers.ContentType = new("text/plain");
            using HttpResponseMessage response = await http.SendAsync(request);
            return $"HTTP {(int)response.StatusCode} \"{(await response.Content.ReadAsStringAsync()).Trim()}\"";
        }),
    ];

    /// <summary>
    /// A TLS handshake offering h2 and <paramref name="client"/> (trusting the server's certificate as the CA's), then
    /// the HTTP/2 preface and an empty SETTINGS frame: "accepted: HTTP/2 SETTINGS" when the server answers with its own,
    /// else "refused: alert ..." with the TLS alert the server sent (under TLS 1.3 it comes after the client's side of
    /// the handshake), or how the connection ended.
    /// </summary>
    private static async Task<string> HandshakeAsync(HostileSide s, TlsPair pair, (string Cert, string Key)? client)
    {
        using TcpClient tcp = await RawSocket.ConnectAsync(s.ClientUrl);
        using var tls = new SslStream(tcp.GetStream());
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            RemoteCertificateValidationCallback = (_, c, _, _) => pair.TrustedByCa(c),
        };
        if (client is { } c) options.ClientCertificates = [X509Certificate2.CreateFromPemFile(c.Cert, c.Key)];
        try
        {
            await tls.AuthenticateAsClientAsync(options);
            await tls.WriteAsync((byte[])[.. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8, 0, 0, 0, 4, 0, 0, 0, 0, 0]);
            var answer = new byte[9];
            using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            int n = await tls.ReadAtLeastAsync(answer, answer.Length, throwOnEndOfStream: false, quiet.Token);
            if (n == answer.Length && answer[3] == 4) return "accepted: HTTP/2 SETTINGS";
            return n == 0 ? "closed after the handshake" : $"{n} bytes after the handshake";
        }
        catch (OperationCanceledException)
        {
            return "no answer after the handshake";
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            for (Exception? x = e; x is not null; x = x.InnerException)
            {
                if (Alert().Match(x.Message) is { Success: true } m) return "refused: alert " + m.Groups[1].Value;
            }
            return $"refused: {e.GetType().Name}";
        }
    }

    /// <summary>OpenSSL's words for a received alert: "sslv3 alert bad certificate", "tlsv13 alert certificate required".</summary>
    [GeneratedRegex(@"alert ([a-z ]+[a-z])")]
    private static partial Regex Alert();
}
