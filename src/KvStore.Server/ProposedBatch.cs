using System.Buffers;
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

    /// <summary>
    /// The proposed batch when <paramref name="context"/> carries it with <paramref name="payload"/>'s bytes; null to parse the payload.
    /// </summary>
    public static RaftBatch? Match(ReadOnlySpan<byte> payload, object? context) =>
        context is ProposedBatch proposed && payload.SequenceEqual(proposed._content) ? proposed._batch : null;

    /// <summary>
    /// The proposed bytes when <paramref name="context"/> was made from a payload equal to <paramref name="payload"/>: a
    /// payload split across the log's pages is then handed on without joining it into a copy.
    /// </summary>
    public static ReadOnlyMemory<byte>? SameBytes(in ReadOnlySequence<byte> payload, object? context)
    {
        if (context is not ProposedBatch proposed || payload.Length != proposed._content.Length) return null;
        int offset = 0;
        foreach (ReadOnlyMemory<byte> segment in payload)
        {
            if (!segment.Span.SequenceEqual(proposed._content.AsSpan(offset, segment.Length))) return null;
            offset += segment.Length;
        }
        return proposed._content;
    }
}
