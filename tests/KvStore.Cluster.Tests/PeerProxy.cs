using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace KvStore.Cluster.Tests;

/// <summary>
/// TCP proxies between the members' Raft peer ports, so a member can be cut off from the others and healed.
/// Each member listens for peers on a private port and advertises the port of its proxy (<c>--initial-cluster</c>
/// names the proxies on every member), so all Raft traffic to a member passes through its proxy. Raft over TCP
/// has each member dial the others, so cutting member X must also drop what X dials: the proxy finds which member
/// process owns the dialling socket (<c>/proc/net/tcp*</c> and <c>/proc/&lt;pid&gt;/fd</c>) and refuses links with
/// a cut member in either direction. A refused or dropped link is closed at once (the dialler sees a reset, as a
/// firewall rejecting would give).
/// </summary>
internal sealed class PeerProxy : IAsyncDisposable
{
    private readonly Func<IReadOnlyDictionary<int, string>> _memberPids;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Listener> _listeners = [];
    private readonly HashSet<string> _cut = [];
    private readonly List<Link> _links = [];
    private readonly object _gate = new();

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

    /// <summary>Cuts <paramref name="member"/> off from every other member: open links close, new ones are refused.</summary>
    public void Cut(string member)
    {
        List<Link> drop;
        lock (_gate)
        {
            _cut.Add(member);
            drop = _links.Where(l => l.Involves(member)).ToList();
            RefusedLinks += drop.Count;
        }
        foreach (var link in drop)
        {
            link.Close();
        }
    }

    /// <summary>Ends every cut.</summary>
    public void Heal()
    {
        lock (_gate)
        {
            _cut.Clear();
        }
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
        string? from = SourceMember((IPEndPoint)inbound.RemoteEndPoint!, ((IPEndPoint)listener.Socket.LocalEndpoint).Port);
        var outbound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        inbound.NoDelay = true;
        var link = new Link(from, listener.Member, inbound, outbound);
        lock (_gate)
        {
            if (_cut.Contains(listener.Member) || from is not null && _cut.Contains(from))
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
            await Task.WhenAny(PumpAsync(inbound, outbound), PumpAsync(outbound, inbound));
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

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    /// <summary>The member whose process holds the dialling end of an accepted connection, or null if none does.</summary>
    private string? SourceMember(IPEndPoint remote, int proxyPort)
    {
        long inode = SocketInode(remote.Port, proxyPort);
        if (inode == 0)
        {
            return null;
        }
        string wanted = $"socket:[{inode}]";
        foreach (var (pid, name) in _memberPids())
        {
            try
            {
                foreach (string fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
                {
                    if (new FileInfo(fd).LinkTarget == wanted)
                    {
                        return name;
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // the process is gone
            }
        }
        return null;
    }

    /// <summary>The inode of the socket whose local port is <paramref name="localPort"/> and remote port <paramref name="remotePort"/>.</summary>
    private static long SocketInode(int localPort, int remotePort)
    {
        foreach (string table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(table);
            }
            catch (IOException)
            {
                continue;
            }
            foreach (string line in lines.Skip(1))
            {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 10 || Port(f[1]) != localPort || Port(f[2]) != remotePort)
                {
                    continue;
                }
                return long.Parse(f[9], CultureInfo.InvariantCulture);
            }
        }
        return 0;

        static int Port(string address) => int.Parse(address.AsSpan(address.IndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        List<Link> links;
        lock (_gate)
        {
            foreach (var l in _listeners)
            {
                l.Socket.Stop();
            }
            links = [.. _links];
        }
        foreach (var link in links)
        {
            link.Close();
        }
        _stop.Dispose();
    }

    private sealed record Listener(string Member, TcpListener Socket, int TargetPort);

    private sealed class Link(string? from, string to, Socket inbound, Socket outbound)
    {
        private int _closed;

        public bool Involves(string member) => from == member || to == member;

        public void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return;
            }
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
