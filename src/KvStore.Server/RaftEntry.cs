namespace KvStore.Server;

/// <summary>
/// A committed Raft entry as <see cref="RaftStateMachine"/>'s apply core takes it, whichever log holds it: DotNext's
/// <c>LogEntry</c> has only internal constructors, so a log of our own hands entries over in this shape. The payload
/// is the log's own memory (no copy), valid for the duration of the apply call.
/// </summary>
internal readonly struct RaftEntry(long index, long term, bool isConfiguration, object? context, ReadOnlyMemory<byte> payload)
{
    public long Index { get; } = index;
    public long Term { get; } = term;

    /// <summary>A membership entry: the log has given it to its configuration storage; the state machine only counts it.</summary>
    public bool IsConfiguration { get; } = isConfiguration;

    /// <summary>What the leader attached when it appended the entry (a <see cref="ProposedBatch"/>); null on followers.</summary>
    public object? Context { get; } = context;

    public ReadOnlyMemory<byte> Payload { get; } = payload;
}
