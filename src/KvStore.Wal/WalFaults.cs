namespace KvStore.Wal;

/// <summary>The points of a group commit where a fault can strike (WalCrashTests kill the process at each).</summary>
public enum WalStep
{
    /// <summary>A batch is built, nothing of it written.</summary>
    BeforeWrite,

    /// <summary>Part of a batch is written (<see cref="IWalFaults.WriteLength"/> bytes of it), not synced.</summary>
    PartialWrite,

    /// <summary>The whole batch is written, not synced.</summary>
    AfterWrite,

    /// <summary>The batch is synced, its waiters not yet told.</summary>
    AfterSync,

    /// <summary>A new segment is created (header synced, directory synced), the batch not yet written into it.</summary>
    SegmentCut,
}

/// <summary>Fault hooks the writer calls at each <see cref="WalStep"/>; null in production. Tests only.</summary>
public interface IWalFaults
{
    /// <summary>Called at each step (a crash test kills the process here).</summary>
    void At(WalStep step);

    /// <summary>How many bytes of a batch of <paramref name="batchLength"/> bytes to write; less than it writes a prefix
    /// and then calls <see cref="At"/> with <see cref="WalStep.PartialWrite"/>.</summary>
    int WriteLength(int batchLength) => batchLength;
}
