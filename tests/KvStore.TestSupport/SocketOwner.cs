using System.Globalization;
using System.Net;

namespace KvStore.TestSupport;

/// <summary>Which local process holds the dialling end of an accepted loopback connection (Linux: /proc/net/tcp* and /proc/&lt;pid&gt;/fd).</summary>
internal static class SocketOwner
{
    /// <summary>The name of the process in <paramref name="candidates"/> (pid → name) that holds the socket from <paramref name="remote"/> to <paramref name="listenPort"/>, or null.</summary>
    public static string? Find(IPEndPoint remote, int listenPort, IReadOnlyDictionary<int, string> candidates)
    {
        long inode = SocketInode(remote.Port, listenPort);
        if (inode == 0) return null;
        string wanted = $"socket:[{inode}]";
        foreach (var (pid, name) in candidates)
        {
            try
            {
                foreach (string fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
                {
                    if (new FileInfo(fd).LinkTarget == wanted) return name;
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
                if (f.Length < 10 || Port(f[1]) != localPort || Port(f[2]) != remotePort) continue;
                return long.Parse(f[9], CultureInfo.InvariantCulture);
            }
        }
        return 0;

        static int Port(string address) => int.Parse(address.AsSpan(address.IndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }
}
