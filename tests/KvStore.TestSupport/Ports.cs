using System.Net;
using System.Net.Sockets;

namespace KvStore.TestSupport;

/// <summary>Loopback ports for the servers a test starts.</summary>
public static class Ports
{
    /// <summary>A port the kernel just handed out for 127.0.0.1 (bound to port 0, then released).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
