using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace KvStore.TestSupport;

/// <summary>
/// TCP proxies in front of the members' Raft peer ports, so links between members can be cut, healed and slowed.
/// Each member listens for peers on a private port and advertises the port of its proxy (<c>--initial-cluster</c>
/// names the proxies on every member), so all Raft traffic to a member passes through its proxy. Raft over TCP
/// has each member dial the others, so a cut must also drop what a member dials: the proxy finds which member
/// process owns the dialling socket (<see cref="SocketOwner"/>) and refuses a link between a cut pair in either
/// direction. A refused or dropped link is closed at once (the dialler sees a reset, as a firewall rejecting would
/// give). A delay holds every chunk on a link to or from the member for that long in each direction, in order.
/// </summary>
public sealed class PeerProxy : IAsyncDisposable
{
    private readonly Func<IReadOnlyDictionary<int, string>> _memberPids;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Listener> _listeners = [];
    private readonly HashSet<string> _isolated = [];
    private readonly HashSet<(string, string)> _cutPairs = [];
    private readonly ConcurrentDictionary<string, int> _delayMs = new();
    private readonly List<Link> _links = [];
    private readonly Lock _gate = new();

    /// <param name="memberPids">The current process id of each member, by name (a restarted member has a new one).</param>
    public PeerProxy(Func<IReadOnlyDictionary<int, string>> memberPids) => _memberPids = memberPids;

    /// <summary>Links refused or dropped because of a cut, for the test's report.</summary>
    public int RefusedLinks { get; private set; }

    /// <summary>Starts a proxy for <paramref name="member"/> forwarding to its private peer port; returns the proxy's port.</summary>
    public int Add(string member, int targetPort)
    {
        var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start(128);
        var listener = new Listener(member, socket, targetPort);
        lock (_gate)
        {
            _listeners.Add(listener);
        }
        _ = AcceptLoopAsync(listener);
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    /// <summary>Cuts <paramref name="member"/> off from every other member (added later ones too): open links close, new ones are refused.</summary>
    public void Cut(string member) => Update(() => _isolated.Add(member));

    /// <summary>Cuts the links between <paramref name="a"/> and <paramref name="b"/> in both directions; others stay.</summary>
    public void Cut(string a, string b) => Update(() => _cutPairs.Add(Pair(a, b)));

    /// <summary>Cuts every link between a member of <paramref name="side"/> and a member of <paramref name="otherSide"/>.</summary>
    public void Cut(IEnumerable<string> side, IEnumerable<string> otherSide) =>
        Update(() =>
        {
            foreach (string a in side)
            {
                foreach (string b in otherSide.Where(b => b != a)) _cutPairs.Add(Pair(a, b));
            }
        });

    /// <summary>Ends every cut that involves <paramref name="member"/> (its isolation and its cut pairs).</summary>
    public void Heal(string member)
    {
        lock (_gate)
        {
            _isolated.Remove(member);
            _cutPairs.RemoveWhere(p => p.Item1 == member || p.Item2 == member);
        }
    }

    /// <summary>Ends every cut.</summary>
    public void Heal()
    {
        lock (_gate)
        {
            _isolated.Clear();
            _cutPairs.Clear();
        }
    }

    /// <summary>Holds what crosses a link to or from <paramref name="member"/> for <paramref name="ms"/> milliseconds each way (0 removes the delay).</summary>
    public void Delay(string member, int ms)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ms);
        if (ms == 0) _delayMs.TryRemove(member, out _);
        else _delayMs[member] = ms;
    }

    /// <summary>True when the link from <paramref name="from"/> (null: a dialler that is no member) to <paramref name="to"/> is cut.</summary>
    public bool IsCut(string? from, string to)
    {
        lock (_gate)
        {
            return IsCutLocked(from, to);
        }
    }

    private bool IsCutLocked(string? from, string to) =>
        _isolated.Contains(to) || from is not null && from != to && (_isolated.Contains(from) || _cutPairs.Contains(Pair(from, to)));

    private void Update(Action change)
    {
        List<Link> drop;
        lock (_gate)
        {
            change();
            drop = _links.Where(l => IsCutLocked(l.From, l.To)).ToList();
            RefusedLinks += drop.Count;
        }
        foreach (var link in drop) link.Close();
    }

    private static (string, string) Pair(string a, string b) => string.CompareOrdinal(a, b) < 0 ? (a, b) : (b, a);

    private long DelayTicks(Link link)
    {
        int ms = Math.Max(link.From is null ? 0 : _delayMs.GetValueOrDefault(link.From), _delayMs.GetValueOrDefault(link.To));
        return ms * Stopwatch.Frequency / 1000;
    }

    private async Task AcceptLoopAsync(Listener listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket inbound;
            try
            {
                inbound = await listener.Socket.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = ServeAsync(listener, inbound);
        }
    }

    private async Task ServeAsync(Listener listener, Socket inbound)
    {
        string? from = SocketOwner.Find((IPEndPoint)inbound.RemoteEndPoint!, ((IPEndPoint)listener.Socket.LocalEndpoint).Port, _memberPids());
        var outbound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        inbound.NoDelay = true;
        var link = new Link(from, listener.Member, inbound, outbound);
        lock (_gate)
        {
            if (IsCutLocked(from, listener.Member))
            {
                RefusedLinks++;
                link.Close();
                return;
            }
            _links.Add(link);
        }
        try
        {
            await outbound.ConnectAsync(new IPEndPoint(IPAddress.Loopback, listener.TargetPort), _stop.Token);
            await Task.WhenAny(PumpAsync(link, inbound, outbound), PumpAsync(link, outbound, inbound));
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
        finally
        {
            lock (_gate)
            {
                _links.Remove(link);
            }
            link.Close();
        }
    }

    /// <summary>Copies one direction of a link; each chunk leaves no earlier than the link's delay after it arrived, in arrival order.</summary>
    private async Task PumpAsync(Link link, Socket from, Socket to)
    {
        var chunks = Channel.CreateUnbounded<(byte[] Data, long Due)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        Task sender = SendAsync(chunks.Reader, to);
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0) break;
                chunks.Writer.TryWrite((buffer[..read], Stopwatch.GetTimestamp() + DelayTicks(link)));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
        chunks.Writer.TryComplete();
        await sender;
    }

    private async Task SendAsync(ChannelReader<(byte[] Data, long Due)> chunks, Socket to)
    {
        try
        {
            await foreach (var (data, due) in chunks.ReadAllAsync(_stop.Token))
            {
                long wait = due - Stopwatch.GetTimestamp();
                if (wait > 0) await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), _stop.Token);
                await to.SendAsync(data, SocketFlags.None, _stop.Token);
            }
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        List<Link> links;
        lock (_gate)
        {
            foreach (var l in _listeners) l.Socket.Stop();
            links = [.. _links];
        }
        foreach (var link in links) link.Close();
        _stop.Dispose();
    }

    private sealed record Listener(string Member, TcpListener Socket, int TargetPort);

    private sealed class Link(string? from, string to, Socket inbound, Socket outbound)
    {
        private int _closed;

        public string? From => from;

        public string To => to;

        public void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0) return;
            foreach (var s in new[] { inbound, outbound })
            {
                try
                {
                    s.LingerState = new LingerOption(true, 0); // reset, not an orderly close
                    s.Close();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                }
            }
        }
    }
}
