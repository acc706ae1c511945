using System.Net;
using System.Net.Sockets;
using KvStore.Server.Transport;

namespace KvStore.Server.Tests.Transport;

/// <summary>
/// <see cref="RaftDialer.TakeClosedByPeer"/> on real loopback connections: an idle open connection and one with
/// unread data are kept; one the other end closed is reported once, by the end point it was dialed to.
/// </summary>
public sealed class RaftDialerTests
{
    [Fact]
    public async Task OnlyConnectionsTheOtherEndClosedAreReportedAndOnlyOnce()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = (IPEndPoint)listener.LocalEndpoint;
        var dialer = new RaftDialer(new PeerAddresses(TlsInfo.None, new Uri("http://127.0.0.1:1"), _ => null));

        await using var idle = await dialer.ConnectAsync(endpoint);
        using Socket idleServer = await listener.AcceptSocketAsync();
        await using var talking = await dialer.ConnectAsync(endpoint);
        using Socket talkingServer = await listener.AcceptSocketAsync();
        await using var closed = await dialer.ConnectAsync(endpoint);
        Socket closedServer = await listener.AcceptSocketAsync();

        Assert.Empty(dialer.TakeClosedByPeer());
        talkingServer.Send([1, 2, 3]); // an answer not yet read: readable, but not closed
        closedServer.Shutdown(SocketShutdown.Both);
        closedServer.Dispose();

        IReadOnlyList<EndPoint> found = [];
        for (int i = 0; i < 100 && found.Count == 0; i++)
        {
            await Task.Delay(20);
            found = dialer.TakeClosedByPeer();
        }
        Assert.Equal(endpoint, Assert.Single(found));
        Assert.Empty(dialer.TakeClosedByPeer()); // forgotten once reported: DotNext dials anew
    }
}
