using System.Buffers.Binary;
using System.Net;
using System.Text;
using DotNext.Buffers;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.Membership;

namespace KvStore.Server;

/// <summary>
/// DotNext's cluster configuration (the Raft voters' peer end points) kept in a file in the data dir, so that
/// a restarted member knows the members added and removed since bootstrap (DotNext writes it atomically:
/// temp file, fsync, rename). End points are encoded as "address:port" text.
/// </summary>
internal sealed class EndPointConfigurationStorage : PersistentClusterConfigurationStorage<EndPoint>
{
    private readonly string _path;

    public EndPointConfigurationStorage(string fileName)
        : base(fileName) => _path = fileName;

    public bool Exists => File.Exists(_path);

    /// <summary>Stores the bootstrap configuration (version 0) when there is none yet.</summary>
    public async ValueTask BootstrapAsync(IEnumerable<EndPoint> members, CancellationToken token)
    {
        IClusterConfiguration<EndPoint> config = await ((IClusterConfigurationStorage<EndPoint>)this).LoadConfigurationAsync(token)
            .ConfigureAwait(false);
        foreach (EndPoint member in members) config = config.Add(member);
        await ((IClusterConfigurationStorage)this).SaveConfigurationAsync(config, 0L, token).ConfigureAwait(false);
    }

    /// <summary>The voters of the active configuration.</summary>
    public async ValueTask<IReadOnlySet<EndPoint>> MembersAsync(CancellationToken token) =>
        (await ((IClusterConfigurationStorage<EndPoint>)this).LoadConfigurationAsync(token).ConfigureAwait(false)).Members;

    protected override void Encode(EndPoint address, ref BufferWriterSlim<byte> output)
    {
        string value = address is DnsEndPoint dns ? $"{dns.Host}:{dns.Port}" : address.ToString()!;
        byte[] text = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, text.Length);
        output.Write(length);
        output.Write(text);
    }

    protected override EndPoint Decode(ref SequenceReader input)
    {
        int length = input.ReadLittleEndian<int>();
        var text = new byte[length];
        input.Read(text);
        string value = Encoding.UTF8.GetString(text);
        if (IPEndPoint.TryParse(value, out IPEndPoint? ip)) return ip;
        int colon = value.LastIndexOf(':');
        return new DnsEndPoint(value[..colon], int.Parse(value[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }
}
