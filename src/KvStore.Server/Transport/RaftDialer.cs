using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace KvStore.Server.Transport;

/// <summary>
/// Opens DotNext's Raft connections to other members (its custom transport's <see cref="IConnectionFactory"/>):
/// TCP to the member's peer end point, then, when its peer URL is https, a TLS handshake presenting this
/// member's peer certificate and verifying the other's (etcd's rafthttp transport with the peer TLSInfo).
/// </summary>
internal sealed class RaftDialer(PeerAddresses peers) : IConnectionFactory
{
    public async ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream stream;
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        if (peers.Tls(endpoint) is { } tls)
        {
            var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
            try
            {
                await ssl.AuthenticateAsClientAsync(tls.ClientOptions(PeerAddresses.HostOf(endpoint)), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            stream = ssl;
        }
        return new StreamConnection(stream, socket.LocalEndPoint, socket.RemoteEndPoint);
    }
}
