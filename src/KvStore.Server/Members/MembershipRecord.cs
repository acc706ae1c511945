using System.Net;
using Google.Protobuf;
using Kvstorepb;

namespace KvStore.Server.Members;

/// <summary>The member record at one applied index (immutable; replaced as a whole).</summary>
internal sealed record MembershipRecord(ulong ClusterId, IReadOnlyList<MemberInfo> Members, long AppliedIndex)
{
    /// <summary>The record's file in &lt;data-dir&gt;/member.</summary>
    public const string FileName = "members.pb";

    /// <summary>Ids of removed members, never given out again (etcd's removed set; MemberAdd: "member not found").</summary>
    public IReadOnlyList<ulong> RemovedIds { get; init; } = [];

    public MemberInfo? ById(ulong id) => Members.FirstOrDefault(m => m.Id == id);

    public ClusterMembers ToProto()
    {
        var record = new ClusterMembers { ClusterId = ClusterId, AppliedIndex = AppliedIndex };
        record.Members.AddRange(Members.Select(ToRecord));
        record.RemovedIds.AddRange(RemovedIds);
        return record;
    }

    public static MembershipRecord FromProto(ClusterMembers record) =>
        new(record.ClusterId, record.Members.Select(ToInfo).ToList(), record.AppliedIndex) { RemovedIds = record.RemovedIds.ToList() };

    public static MemberInfo ToInfo(MemberRecord r) => new(r.Id, r.Name, r.PeerUrls.ToList(), r.ClientUrls.ToList());

    public static MemberRecord ToRecord(MemberInfo m)
    {
        var r = new MemberRecord { Id = m.Id, Name = m.Name };
        r.PeerUrls.AddRange(m.PeerUrls);
        r.ClientUrls.AddRange(m.ClientUrls);
        return r;
    }

    /// <summary>Writes the record to <paramref name="path"/> atomically (temp file, fsync, rename).</summary>
    public void Write(string path, bool overwrite = true)
    {
        string temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            ToProto().WriteTo(file);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite);
    }

    /// <summary>etcd's URL text: no trailing slash.</summary>
    public static string Url(string url) => url.Trim().TrimEnd('/');

    /// <summary>A member's Raft end point: its first peer URL.</summary>
    public static EndPoint EndPointOf(MemberInfo m) => ToEndPoint(new Uri(m.PeerUrls[0]));

    /// <summary>The end point of a URL (localhost is the loopback address; a name stays a name).</summary>
    public static EndPoint ToEndPoint(Uri url)
    {
        if (url.Host == "localhost") return new IPEndPoint(IPAddress.Loopback, url.Port);
        return IPAddress.TryParse(url.Host, out IPAddress? address) ? new IPEndPoint(address, url.Port) : new DnsEndPoint(url.Host, url.Port);
    }

    /// <summary>Whether <paramref name="url"/> names <paramref name="endPoint"/>.</summary>
    public static bool IsAt(Uri url, EndPoint endPoint) => endPoint switch
    {
        IPEndPoint ip => ip.Port == url.Port && (IPAddress.TryParse(url.Host, out IPAddress? address)
            ? address.Equals(ip.Address)
            : url.Host == "localhost" && IPAddress.IsLoopback(ip.Address)),
        DnsEndPoint dns => dns.Port == url.Port && string.Equals(dns.Host, url.Host, StringComparison.OrdinalIgnoreCase),
        _ => false,
    };
}
