using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace KvStore.TestSupport;

/// <summary>Loopback ports for the servers a test starts.</summary>
public static class Ports
{
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A loopback port for a server a test starts: <see cref="Stable"/>. A port from the kernel's ephemeral range
    /// (bound to port 0, then released) was taken, between the choice and the server's bind, by the local end of some
    /// outbound connection (AuthHostileInputTests: "address already in use").
    /// </summary>
    public static int Free() => Stable();

    /// <summary>A port the kernel just handed out for 127.0.0.1 (bound to port 0, then released).</summary>
    private static int KernelPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// A loopback port free at the time of the call, below the kernel's ephemeral range and never handed out twice by
    /// this process: while a killed member is down, its released port must not become the local port of some
    /// outbound connection (which the ephemeral range is for), or the restarted member cannot bind it.
    /// </summary>
    public static int Stable()
    {
        int ceiling = Math.Min(EphemeralLow(), 30000), floor = 10000;
        for (int attempt = 0; attempt < 500 && ceiling - floor >= 1000; attempt++)
        {
            int port = Random.Shared.Next(floor, ceiling);
            if (port is 12379 or 12380 or 22379 or 22380) continue; // etcd's Procfile (tools/cluster.sh)
            lock (HandedOut)
            {
                if (!HandedOut.Add(port)) continue;
            }
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }
        return KernelPort();
    }

    private static int EphemeralLow()
    {
        try
        {
            return int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0],
                CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return 32768;
        }
    }
}
