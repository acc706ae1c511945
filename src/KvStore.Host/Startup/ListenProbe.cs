using System.Net;
using System.Net.Sockets;

namespace KvStore.Host.Startup;

/// <summary>
/// Binds and releases each listen URL before the member starts (peer URLs first, then client, metrics and the
/// apiserver facade's, etcd's order), so that a port in use stops the start before Raft runs, with Go's message:
/// <c>listen tcp 127.0.0.1:2380: bind: address already in use</c>. Tested by StartupErrorTests.
/// </summary>
internal static class ListenProbe
{
    /// <summary>Null when every URL can be bound now, else the first failure in Go's words.</summary>
    public static string? FirstUnbindable(IEnumerable<Uri> urls)
    {
        // unix:// and unixs:// URLs are socket files, which Kestrel replaces: nothing to probe
        foreach (Uri url in urls.Where(u => u.Scheme is not ("unix" or "unixs")))
        {
            var address = url.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(url.DnsSafeHost);
            var endPoint = new IPEndPoint(address, url.Port);
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            // Go's net.Listen sets SO_REUSEADDR: a port whose old connections are in TIME_WAIT is free.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            try
            {
                socket.Bind(endPoint);
                socket.Listen();
            }
            catch (SocketException e)
            {
                return BindError(endPoint, e.SocketErrorCode);
            }
        }
        return null;
    }

    /// <summary>Go's *net.OpError text for a failed listen.</summary>
    public static string BindError(IPEndPoint endPoint, SocketError error) => $"listen tcp {endPoint}: bind: {error switch
    {
        SocketError.AddressAlreadyInUse => "address already in use",
        SocketError.AddressNotAvailable => "cannot assign requested address",
        SocketError.AccessDenied => "permission denied",
        _ => error.ToString(),
    }}";
}
