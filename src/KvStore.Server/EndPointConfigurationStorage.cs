using System.Buffers.Binary;
using System.Net;
using System.Text;
using DotNext.Buffers;
using DotNext.Net.Cluster.Consensus.Raft.Membership;

namespace KvStore.Server;

/// <summary>DotNext's in-memory cluster configuration for IP end points, encoded as "address:port" text.</summary>
internal sealed class EndPointConfigurationStorage : InMemoryClusterConfigurationStorage<EndPoint>
{
    protected override void Encode(EndPoint address, ref BufferWriterSlim<byte> output)
    {
        byte[] text = Encoding.UTF8.GetBytes(address.ToString()!);
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
        return IPEndPoint.Parse(Encoding.UTF8.GetString(text));
    }
}
