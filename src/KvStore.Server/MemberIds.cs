using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace KvStore.Server;

/// <summary>etcd's member and cluster ids (etcdserver/api/membership: NewMember, genID).</summary>
public static class MemberIds
{
    /// <summary>sha1(peer URLs sorted and joined + cluster token), first 8 bytes big-endian.</summary>
    public static ulong Member(IEnumerable<string> peerUrls, string clusterToken)
    {
        var sorted = peerUrls.OrderBy(u => u, StringComparer.Ordinal).ToList();
        byte[] hash = SHA1.HashData(Encoding.UTF8.GetBytes(string.Concat(sorted) + clusterToken));
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }

    /// <summary>sha1 of the sorted member ids (8 bytes big-endian each), first 8 bytes big-endian.</summary>
    public static ulong Cluster(IEnumerable<ulong> memberIds)
    {
        var ids = memberIds.OrderBy(id => id).ToList();
        var bytes = new byte[ids.Count * 8];
        for (int i = 0; i < ids.Count; i++) BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(i * 8), ids[i]);
        return BinaryPrimitives.ReadUInt64BigEndian(SHA1.HashData(bytes));
    }

    /// <summary>Parses etcd's --initial-cluster ("name=url,name=url2,..."; one name may appear with several URLs).</summary>
    public static IReadOnlyList<(string Name, List<string> PeerUrls)> ParseInitialCluster(string initialCluster)
    {
        var members = new List<(string Name, List<string> PeerUrls)>();
        foreach (string part in initialCluster.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"invalid --initial-cluster entry '{part}' (want name=url)");
            string name = part[..eq], url = part[(eq + 1)..];
            int at = members.FindIndex(m => m.Name == name);
            if (at >= 0) members[at].PeerUrls.Add(url); else members.Add((name, [url]));
        }
        return members;
    }
}
