using System.Net;
using System.Net.Sockets;
using KvStore.Server.Transport;
using Microsoft.AspNetCore.Connections;

namespace KvStore.Server.Tests.Transport;

/// <summary>
/// <see cref="RaftDialer.TakeClosedByPeer"/> on real loopback connections: an idle open connection and one with
/// unread data are kept; one the other end closed is reported once, by the end point it was dialed to.
/// </summary>
public sealed class RaftDialerTests
{
    // DotNext 6.12's message types in a request's first byte, followed by a body the listener never reads
    private static readonly byte[] Vote = [0b0000_0001, .. new byte[40]], PreVote = [0b0000_0111, .. new byte[40]],
        AppendEntries = [0b0000_0100, .. new byte[40]];

    [Fact]
    public async Task OnlyConnectionsTheOtherEndClosedAreReportedAndOnlyOnce()
    {
        await using var peer = new LoopbackPeer(TimeSpan.FromMinutes(1));
        await peer.ConnectAsync(); // idle
        var (_, talkingServer) = await peer.ConnectAsync();
        var (_, closedServer) = await peer.ConnectAsync();

        Assert.Empty(peer.Dialer.TakeClosedByPeer());
        talkingServer.Send([1, 2, 3]); // an answer not yet read: readable, but not closed
        closedServer.Shutdown(SocketShutdown.Both);
        closedServer.Dispose();

        IReadOnlyList<EndPoint> found = [];
        for (int i = 0; i < 100 && found.Count == 0; i++)
        {
            await Task.Delay(20);
            found = peer.Dialer.TakeClosedByPeer();
        }
        Assert.Equal(peer.EndPoint, Assert.Single(found));
        Assert.Empty(peer.Dialer.TakeClosedByPeer()); // forgotten once reported: DotNext dials anew
    }

    /// <summary>
    /// A vote or pre-vote that the other end never answers (a stopped process: its kernel accepted the connection)
    /// aborts the connection after the vote deadline; an answered vote keeps it, and other requests wait for their answer.
    /// </summary>
    [Fact]
    public async Task AnUnansweredVoteAbortsTheConnectionOtherRequestsWait()
    {
        await using var peer = new LoopbackPeer(TimeSpan.FromMilliseconds(200));

        // answered: the connection outlives the deadline and carries the next request
        var (answered, answering) = await peer.ConnectAsync();
        await answered.Transport.Output.WriteAsync(Vote);
        answering.Send([1, 0, 0, 0]);
        var result = await answered.Transport.Input.ReadAsync();
        Assert.False(result.IsCompleted);
        answered.Transport.Input.AdvanceTo(result.Buffer.End);
        await Task.Delay(600);
        await answered.Transport.Output.WriteAsync(AppendEntries);
        Assert.Equal(Vote.Length + AppendEntries.Length, await ReceiveAsync(answering, Vote.Length + AppendEntries.Length));

        // unanswered AppendEntries: still waiting well past the deadline
        var (slow, _) = await peer.ConnectAsync();
        await slow.Transport.Output.WriteAsync(AppendEntries);
        var entriesAnswer = slow.Transport.Input.ReadAsync().AsTask();
        await Task.Delay(600);
        Assert.False(entriesAnswer.IsCompleted);

        // unanswered votes and pre-votes: the read fails once the deadline passes (each to a member not yet silent, whose
        // next vote would fail at once: AfterAnUnansweredVoteTheNextRequestHasTheVoteDeadlineOnce)
        foreach (byte[] ballot in new[] { Vote, PreVote })
        {
            await using var stoppedPeer = new LoopbackPeer(TimeSpan.FromMilliseconds(200));
            var (stopped, _) = await stoppedPeer.ConnectAsync();
            await stopped.Transport.Output.WriteAsync(ballot);
            var answer = stopped.Transport.Input.ReadAsync().AsTask();
            Assert.Same(answer, await Task.WhenAny(answer, Task.Delay(TimeSpan.FromSeconds(30)))); // ended (failed or closed)
        }
    }

    /// <summary>
    /// After a (pre-)vote the other end left unanswered, the next (pre-)votes to it fail at once and the next other
    /// request (a new leader's first heartbeat) ends at the vote deadline too, once; the request after that waits for its
    /// answer. An answer from the member in between clears it all.
    /// </summary>
    [Fact]
    public async Task AfterAnUnansweredVoteTheNextRequestHasTheVoteDeadlineOnce()
    {
        var deadline = TimeSpan.FromMilliseconds(400); // suspicion lasts 3 deadlines
        await using var peer = new LoopbackPeer(deadline);

        Assert.True(await EndsAsync(peer, PreVote), "an unanswered pre-vote did not end");
        Assert.True(await EndsAsync(peer, Vote, deadline / 2), "a vote after an unanswered pre-vote did not fail at once");
        Assert.True(await EndsAsync(peer, AppendEntries), "the first request after an unanswered vote did not end at the deadline");
        Assert.False(await EndsAsync(peer, AppendEntries, 2.5 * deadline), "the second request after an unanswered vote ended");

        // an answer in between (to a request sent before): the next vote has its deadline, the next request none
        var (answered, answering) = await peer.ConnectAsync();
        await answered.Transport.Output.WriteAsync(AppendEntries);
        Assert.True(await EndsAsync(peer, Vote));
        answering.Send([1, 0, 0, 0]);
        answered.Transport.Input.AdvanceTo((await answered.Transport.Input.ReadAsync()).Buffer.End);
        Assert.False(await EndsAsync(peer, AppendEntries, 2.5 * deadline), "a request after an answer ended");
        Assert.False(await EndsAsync(peer, Vote, deadline / 2), "a vote after an answer failed at once");
    }

    /// <summary>
    /// A leader this member heard nothing from for an election timeout (VoterStickiness marks it) is as silent as one that
    /// left a vote unanswered: a (pre-)vote to it fails at once, the first other request ends at the vote deadline.
    /// </summary>
    [Fact]
    public async Task ALeaderMarkedSilentGetsNoVoteDeadlineToWaitOut()
    {
        var deadline = TimeSpan.FromMilliseconds(400);
        await using var unmarked = new LoopbackPeer(deadline);
        Assert.False(await EndsAsync(unmarked, PreVote, deadline / 2), "a pre-vote to a member not marked failed at once");

        await using var marked = new LoopbackPeer(deadline);
        marked.Dialer.MarkSilent(marked.EndPoint);
        Assert.True(await EndsAsync(marked, PreVote, deadline / 2), "a pre-vote to a member marked silent did not fail at once");
        Assert.True(await EndsAsync(marked, AppendEntries), "the first request to a member marked silent did not end at the deadline");
        Assert.False(await EndsAsync(marked, AppendEntries, 2.5 * deadline), "the second request to a member marked silent ended");
    }

    /// <summary>Sends <paramref name="request"/> on a new connection that is never answered: whether its read ends (fails) within the time.</summary>
    private static async Task<bool> EndsAsync(LoopbackPeer peer, byte[] request, TimeSpan? within = null)
    {
        var (client, _) = await peer.ConnectAsync();
        await client.Transport.Output.WriteAsync(request);
        var answer = client.Transport.Input.ReadAsync().AsTask();
        return answer == await Task.WhenAny(answer, Task.Delay(within ?? TimeSpan.FromSeconds(30)));
    }

    private static async Task<int> ReceiveAsync(Socket socket, int bytes)
    {
        var buffer = new byte[bytes];
        int received = 0, n;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (received < bytes && (n = await socket.ReceiveAsync(buffer.AsMemory(received), timeout.Token)) > 0) received += n;
        return received;
    }

    /// <summary>A dialer and a loopback listener; every connection made through it is closed with it.</summary>
    private sealed class LoopbackPeer(TimeSpan voteDeadline) : IAsyncDisposable
    {
        private readonly TcpListener _listener = Listen();
        private readonly List<IAsyncDisposable> _opened = [];

        public RaftDialer Dialer { get; } = new(new PeerAddresses(TlsInfo.None, new Uri("http://127.0.0.1:1"), _ => null), voteDeadline);

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

        /// <summary>A connection dialed as DotNext dials a member, and the listener's end of it.</summary>
        public async Task<(ConnectionContext Client, Socket Server)> ConnectAsync()
        {
            ConnectionContext client = await Dialer.ConnectAsync(EndPoint);
            _opened.Add(client);
            Socket server = await _listener.AcceptSocketAsync();
            _opened.Add(new NetworkStream(server, ownsSocket: true));
            return (client, server);
        }

        private static TcpListener Listen()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return listener;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (IAsyncDisposable opened in _opened) await opened.DisposeAsync();
            _listener.Dispose();
        }
    }
}
