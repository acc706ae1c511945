using Kvstorepb;

namespace KvStore.Server.Apply;

/// <summary>Room on the data dir's disks for <paramref name="bytes"/> beyond the reserve, and what is free.</summary>
internal delegate bool DiskRoomFor(long bytes, out long free);

/// <summary>
/// What the state machine tells the member, or asks it, beyond the applier chain and the waiters: the applied index,
/// membership records in the log and in snapshots, the leader's empty entry, and the disk room an install needs.
/// </summary>
internal sealed record MemberCallbacks(
    Action<long> Applied,
    Action<long, ClusterMembers> ApplyMembers,
    Action<ClusterMembers> InstallMembers,
    Func<ClusterMembers> MembersRecord,
    Func<int> Followers,
    Action SnapshotInstalled,
    Action AppendEmptyEntry,
    DiskRoomFor HasDiskRoomFor);
