namespace KvStore.Robustness.History;

/// <summary>
/// One injected fault: Kind names it (kill-leader, kill, pause, partition, delay, restart-snapshot, remove-readd,
/// disk-full), Member is the member index it hit (-1 for none), Start..End the time it lasted (End = Start for
/// instantaneous ones), Detail anything else (e.g. the other side of a partition). Recovery times are measured from
/// <see cref="RecoveryFrom"/>: a kill's start, a pause's or partition's end.
/// </summary>
public sealed record FaultRecord(string Kind, int Member, long Start, long End, string? Detail = null)
{
    public long RecoveryFrom { get; init; } = Start;
}

/// <summary>What a member held after the run (read with serializable requests once faults had stopped).</summary>
public sealed record MemberState(
    string Name,
    string Endpoint,
    long Revision,
    long CompactRevision,
    uint HashKv,
    IReadOnlyList<KeyValue> Kvs,
    IReadOnlyList<long> Leases);
