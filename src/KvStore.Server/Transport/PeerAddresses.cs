using System.Net;

namespace KvStore.Server.Transport;

/// <summary>
/// How this member reaches another by its Raft end point: the scheme of that member's peer URL in the member
/// record (https: TLS with the peer TLS info), or this member's own when the record does not know it yet.
/// </summary>
internal sealed class PeerAddresses(TlsInfo peerTls, Uri ownPeerUrl, Func<EndPoint, string?> recordedUrl)
{
    public TlsInfo PeerTls => peerTls;

    /// <summary>The peer TLS info when <paramref name="endpoint"/>'s member is reached over TLS, else null.</summary>
    public TlsInfo? Tls(EndPoint endpoint) => Scheme(endpoint) == "https" ? peerTls : null;

    /// <summary>The base URL of a member's peer port, for gRPC calls (https://host:port or http://host:port).</summary>
    public string Url(EndPoint endpoint) => $"{Scheme(endpoint)}://{Authority(endpoint)}";

    private string Scheme(EndPoint endpoint) =>
        recordedUrl(endpoint) is { } url && Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) ? uri.Scheme : ownPeerUrl.Scheme;

    /// <summary>The name TLS verifies the member's certificate against: its DNS name or IP.</summary>
    public static string HostOf(EndPoint endpoint) => endpoint switch
    {
        DnsEndPoint dns => dns.Host,
        IPEndPoint ip => ip.Address.ToString(),
        _ => endpoint.ToString() ?? "",
    };

    private static string Authority(EndPoint endpoint) => endpoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        IPEndPoint { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ip => $"[{ip.Address}]:{ip.Port}",
        IPEndPoint ip => $"{ip.Address}:{ip.Port}",
        _ => endpoint.ToString() ?? "",
    };
}
