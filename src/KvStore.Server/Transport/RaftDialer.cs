using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using DotNext.Net.Cluster.Consensus.Raft;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace KvStore.Server.Transport;

/// <summary>
/// Opens DotNext's Raft connections to other members (its custom transport's <see cref="IConnectionFactory"/>):
/// TCP to the member's peer end point, then, when its peer URL is https, a TLS handshake presenting this
/// member's peer certificate and verifying the other's (etcd's rafthttp transport with the peer TLSInfo).
/// <para>A connection the other end closed while idle is dropped (<see cref="DropClosedConnectionsAsync"/>): DotNext would
/// count the failure of its next request, a (pre-)vote most often, as a refusal. Test: RaftDialerTests.</para>
/// <para>A (pre-)vote unanswered after <c>voteDeadline</c> aborts its connection, and so does the next other request to that
/// member left unanswered as long (<see cref="VoteDeadlineStream"/>, <see cref="PeerSilence"/>).</para>
/// </summary>
internal sealed partial class RaftDialer(PeerAddresses peers, TimeSpan voteDeadline) : IConnectionFactory
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Socket, EndPoint> _dialed = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<EndPoint, PeerSilence> _silence = new();

    /// <summary>
    /// Every <paramref name="interval"/>, drops the connections the other member closed while they were idle, so the next
    /// request, a (pre-)vote most often, dials anew instead of failing on the dead one and counting as refused.
    /// </summary>
    public async Task DropClosedConnectionsAsync(RaftCluster cluster, TimeSpan interval, ILogger logger, CancellationToken token)
    {
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
        {
            foreach (EndPoint endpoint in TakeClosedByPeer())
            {
                if (cluster.Members.FirstOrDefault(m => m.IsRemote && m.EndPoint.Equals(endpoint)) is { } member)
                {
                    Log.ConnectionClosedByPeer(logger, endpoint);
                    await member.CancelPendingRequestsAsync().ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// The end points of connections the other member closed (end of stream, or reset) since the last call; those
    /// sockets are forgotten here. A connection waiting for an answer is never readable without data, so only idle
    /// or already broken ones are found.
    /// </summary>
    public IReadOnlyList<EndPoint> TakeClosedByPeer()
    {
        List<EndPoint>? closed = null;
        foreach ((Socket socket, EndPoint endpoint) in _dialed)
        {
            bool gone;
            try
            {
                gone = socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
                gone = true;
            }
            if (gone && _dialed.TryRemove(socket, out _)) (closed ??= []).Add(endpoint);
        }
        return closed ?? (IReadOnlyList<EndPoint>)[];
    }

    /// <summary>
    /// The member at <paramref name="endpoint"/> is silent (the leader this member heard nothing from for an election timeout):
    /// its next (pre-)votes fail at once, as after one it left unanswered (<see cref="PeerSilence"/>).
    /// </summary>
    public void MarkSilent(EndPoint endpoint) => Silence(endpoint).MarkSilent();

    // An unanswered vote makes the next request's deadline short for an election timeout (3 vote deadlines).
    private PeerSilence Silence(EndPoint endpoint) => _silence.GetOrAdd(endpoint, _ => new PeerSilence(3 * voteDeadline));

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
        _dialed[socket] = endpoint;
        stream = new VoteDeadlineStream(stream, voteDeadline, Silence(endpoint), () =>
        {
            _dialed.TryRemove(socket, out _);
            socket.Dispose(); // the pending read fails: DotNext counts the member unavailable and dials anew next time
        });
        return new StreamConnection(stream, socket.LocalEndPoint, socket.RemoteEndPoint, () => _dialed.TryRemove(socket, out _));
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "raft connection to {EndPoint} closed by the other member: the next request dials again")]
        public static partial void ConnectionClosedByPeer(ILogger logger, EndPoint endPoint);
    }
}
