using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using Grpc.Net.Client;
using Kvstorepb;

namespace KvStore.Server.Transport;

/// <summary>
/// gRPC clients of the other members' <see cref="PeerService"/>, one channel per peer URL: HTTP/2 with prior
/// knowledge on http peer URLs; on https ones TLS with this member's peer certificate, the other's verified
/// against the peer trusted CA.
/// </summary>
internal sealed class PeerClients(PeerAddresses addresses) : IDisposable
{
    private static readonly List<SslApplicationProtocol> Http2Alpn = [SslApplicationProtocol.Http2];

    private readonly ConcurrentDictionary<string, (GrpcChannel Channel, Forward.ForwardClient Client)> _clients = new(StringComparer.Ordinal);

    /// <summary>The client of the member whose Raft end point is <paramref name="endpoint"/>.</summary>
    public Forward.ForwardClient For(EndPoint endpoint) =>
        _clients.GetOrAdd(addresses.Url(endpoint),
            static (url, state) => Create(url, state.Tls(state.EndPoint), PeerAddresses.HostOf(state.EndPoint)),
            (Tls: (Func<EndPoint, TlsInfo?>)addresses.Tls, EndPoint: endpoint)).Client;

    private static (GrpcChannel, Forward.ForwardClient) Create(string url, TlsInfo? tls, string host)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(2),
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(10),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
        };
        if (tls is not null) handler.SslOptions = tls.ClientOptions(host, Http2Alpn);
        var channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
            HttpHandler = handler,
        });
        return (channel, new Forward.ForwardClient(channel));
    }

    public void Dispose()
    {
        foreach (var (channel, _) in _clients.Values) channel.Dispose();
        _clients.Clear();
    }
}
