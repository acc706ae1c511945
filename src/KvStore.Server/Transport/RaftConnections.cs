using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace KvStore.Server.Transport;

/// <summary>
/// The listener DotNext's Raft server accepts from (its custom transport's <see cref="IConnectionListenerFactory"/>):
/// the peer port (<see cref="PeerServer"/>) hands over each connection that is not HTTP/2 once its TLS handshake,
/// if any, succeeded; DotNext serves it until it disposes it, then the peer port closes it.
/// </summary>
internal sealed class RaftConnections : IConnectionListenerFactory, IConnectionListener
{
    private readonly Channel<ConnectionContext> _accepted =
        Channel.CreateUnbounded<ConnectionContext>(new UnboundedChannelOptions { SingleReader = true });
    private readonly System.Collections.Concurrent.ConcurrentDictionary<HandedConnection, byte> _live = new();
    private volatile bool _bound;

    public EndPoint EndPoint { get; private set; } = new IPEndPoint(IPAddress.Loopback, 0);

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        EndPoint = endpoint;
        _bound = true;
        return ValueTask.FromResult<IConnectionListener>(this);
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>
    /// Hands <paramref name="connection"/> to the Raft server and waits until the Raft server is done with it; at once when none is
    /// listening.
    /// </summary>
    public async Task ServeAsync(ConnectionContext connection)
    {
        if (!_bound) return;
        var handed = new HandedConnection(connection);
        _live[handed] = 0;
        try
        {
            if (!_accepted.Writer.TryWrite(handed)) return;
            await handed.Done.ConfigureAwait(false);
        }
        finally
        {
            _live.TryRemove(handed, out _);
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _bound = false;
        _accepted.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    /// <summary>Ends every connection still handed over: the Raft server is gone, and the peer port waits for them before it stops.</summary>
    public ValueTask DisposeAsync()
    {
        _bound = false;
        _accepted.Writer.TryComplete();
        while (_accepted.Reader.TryRead(out ConnectionContext? left)) left.Abort();
        foreach (HandedConnection live in _live.Keys) live.Abort();
        return ValueTask.CompletedTask;
    }

    /// <summary>The peer port's connection as DotNext sees it: disposing it (DotNext's end of a connection) ends the peer port's wait.</summary>
    private sealed class HandedConnection(ConnectionContext inner) : ConnectionContext
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Done => _done.Task;

        public override string ConnectionId { get => inner.ConnectionId; set => inner.ConnectionId = value; }
        public override IFeatureCollection Features => inner.Features;
        public override IDictionary<object, object?> Items { get => inner.Items; set => inner.Items = value; }
        public override System.IO.Pipelines.IDuplexPipe Transport { get => inner.Transport; set => inner.Transport = value; }
        public override EndPoint? LocalEndPoint { get => inner.LocalEndPoint; set => inner.LocalEndPoint = value; }
        public override EndPoint? RemoteEndPoint { get => inner.RemoteEndPoint; set => inner.RemoteEndPoint = value; }
        public override CancellationToken ConnectionClosed { get => inner.ConnectionClosed; set => inner.ConnectionClosed = value; }

        public override void Abort(ConnectionAbortedException abortReason)
        {
            inner.Abort(abortReason);
            _done.TrySetResult();
        }

        public override ValueTask DisposeAsync()
        {
            _done.TrySetResult();
            return ValueTask.CompletedTask;
        }
    }
}
