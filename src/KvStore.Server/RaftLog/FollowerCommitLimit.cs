namespace KvStore.Server;

/// <summary>
/// Raft's AppendEntries rule 5 for a follower's log, and its full-disk refusal: an AppendEntries commits at most up to
/// the last entry it carried (DotNext 6.12 commits the local log up to the leader's commit index, which on a member
/// that led before can reach entries of its old term no quorum has), and carries nothing in while the disk has no
/// room. Shared by <see cref="RaftLog"/> and the tests' reference log. RaftStateMachineCoreTests.TheViewSeesTheCommitTheClusterClamped.
/// </summary>
internal sealed class FollowerCommitLimit
{
    private long _limit = long.MaxValue;

    /// <inheritdoc cref="IRaftLogView.HasRoom"/>
    public Func<bool>? HasRoom { get; set; }

    /// <inheritdoc cref="IRaftLogView.Clamped"/>
    public Action<long, long>? Clamped { get; set; }

    /// <summary>
    /// An AppendEntries of <paramref name="count"/> entries from <paramref name="startIndex"/>: the error to refuse it
    /// with while the disk is full, else null with the commit limit set to its last entry.
    /// </summary>
    public IOException? OnAppendEntries(long startIndex, long count)
    {
        if (count > 0 && HasRoom?.Invoke() == false) return new IOException("no space left on device");
        Volatile.Write(ref _limit, startIndex - 1 + count);
        return null;
    }

    /// <summary>This member leads: its commits follow its own quorum, no AppendEntries limits them.</summary>
    public void Lift() => Volatile.Write(ref _limit, long.MaxValue);

    /// <summary>The commit index the cluster asks for, clamped to the limit; reported when entries past it exist.</summary>
    public long Clamp(long endIndex, long lastIndex)
    {
        long limit = Volatile.Read(ref _limit);
        if (endIndex > limit && limit < lastIndex) Clamped?.Invoke(endIndex, limit);
        return Math.Min(endIndex, limit);
    }
}
