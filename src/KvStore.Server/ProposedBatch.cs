using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Kvstorepb;

namespace KvStore.Server;

/// <summary>
/// A batch as the leader proposed it, carried to its own applier in the log entry's context: the applier takes
/// the parsed requests from here instead of parsing the payload it has just serialized (a parse per command and
/// a copy of every key and value, on the member that does the most work). DotNext keeps contexts by log index and
/// does not clear one when a new leader overwrites that index, so the context is used only when the entry's
/// payload is byte for byte the one it was made from; otherwise (and on followers, which never have it) the
/// payload is parsed as before.
/// </summary>
internal sealed class ProposedBatch(RaftBatch batch, byte[] content)
{
    private readonly RaftBatch _batch = batch;
    private readonly byte[] _content = content;

    /// <summary>The proposed batch when <paramref name="entry"/> carries it with the same bytes; null to parse the payload.</summary>
    public static RaftBatch? Match(in LogEntry entry)
    {
        if (entry.Context is not ProposedBatch proposed) return null;
        if (!entry.TryGetPayload(out var payload) || payload.Length != proposed._content.Length) return null;
        if (payload.IsSingleSegment) return payload.FirstSpan.SequenceEqual(proposed._content) ? proposed._batch : null;
        int offset = 0;
        foreach (ReadOnlyMemory<byte> segment in payload)
        {
            if (!segment.Span.SequenceEqual(proposed._content.AsSpan(offset, segment.Length))) return null;
            offset += segment.Length;
        }
        return proposed._batch;
    }
}
