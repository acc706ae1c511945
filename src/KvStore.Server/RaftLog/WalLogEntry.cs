using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft;

namespace KvStore.Server;

/// <summary>An entry of our WAL as DotNext's replication and configuration storage take it (its payload in memory).</summary>
internal sealed class WalLogEntry(KvStore.Wal.WalEntry entry) : IRaftLogEntry
{
    public long Term => entry.Term;

    public bool IsConfiguration => entry.IsConfiguration;

    bool IDataTransferObject.IsReusable => true;

    long? IDataTransferObject.Length => entry.Payload.Length;

    bool IDataTransferObject.TryGetMemory(out ReadOnlyMemory<byte> memory)
    {
        memory = entry.Payload;
        return true;
    }

    ValueTask IDataTransferObject.WriteToAsync<TWriter>(TWriter writer, CancellationToken token) => writer.WriteAsync(entry.Payload, null, token);
}
