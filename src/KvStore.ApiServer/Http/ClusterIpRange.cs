using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace KvStore.ApiServer.Http;

/// <summary>
/// An IPv4 service CIDR (--service-cluster-ip-range): the usable addresses exclude the network and broadcast
/// addresses, as kube's allocator does; the first usable one is the `kubernetes` service's.
/// </summary>
public sealed class ClusterIpRange
{
    private readonly uint _network;
    private readonly uint _size;

    private ClusterIpRange(uint network, uint size, string text) => (_network, _size, Text) = (network, size, text);

    public string Text { get; }

    public static ClusterIpRange Parse(string cidr)
    {
        var slash = cidr.IndexOf('/');
        if (slash < 0 || !IPAddress.TryParse(cidr[..slash], out var address) || address.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(cidr[(slash + 1)..], out var bits) || bits is < 1 or > 30)
        {
            throw new FormatException($"invalid service cluster IP range \"{cidr}\": an IPv4 CIDR of /1 to /30 is required");
        }
        var mask = uint.MaxValue << (32 - bits);
        var network = ToUInt(address) & mask;
        return new ClusterIpRange(network, ~mask + 1, cidr);
    }

    /// <summary>Number of allocatable addresses.</summary>
    public long Count => _size - 2;

    /// <summary>The index-th usable address (0 = the kubernetes service's).</summary>
    public string At(long index) => FromUInt(_network + 1 + (uint)index);

    public bool Contains(string ip, out long index)
    {
        index = -1;
        if (!IPAddress.TryParse(ip, out var address) || address.AddressFamily != AddressFamily.InterNetwork) return false;
        var value = ToUInt(address);
        if (value <= _network || value >= _network + _size - 1) return false;
        index = value - _network - 1;
        return true;
    }

    private static uint ToUInt(IPAddress address) => BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());

    private static string FromUInt(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes).ToString();
    }
}
