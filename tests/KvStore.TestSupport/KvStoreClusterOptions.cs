namespace KvStore.TestSupport;

/// <summary>How a <see cref="KvStoreCluster"/> is started.</summary>
public sealed record KvStoreClusterOptions
{
    public int Size { get; init; } = 3;

    /// <summary>Flags every member gets (a member's own set can replace them at a restart).</summary>
    public IReadOnlyList<string> Extra { get; init; } = [];

    /// <summary>http or https (then TLS flags in <see cref="Extra"/>); the RPC helpers (leader, membership) need http.</summary>
    public string ClientScheme { get; init; } = "http";

    public string PeerScheme { get; init; } = "http";

    /// <summary>Raft traffic through a <see cref="PeerProxy"/>: needed for Partition, Heal and Delay.</summary>
    public bool ProxyPeers { get; init; }

    /// <summary>"kvstore" (the one built next to the tests) or "etcd" (real etcd 3.4 on PATH): the same flags start either.</summary>
    public string Server { get; init; } = "kvstore";

    /// <summary>
    /// Members whose data dir is a tmpfs of this many MiB (<see cref="SmallDisk"/>), by index. etcd 3.4 preallocates
    /// 64 MiB for its first WAL segment, so it needs more than 64.
    /// </summary>
    public IReadOnlyDictionary<int, int> SmallDiskMegabytes { get; init; } = new Dictionary<int, int>();

    /// <summary>Variables added to every kvstore member's environment (KVSTORE_FAILPOINTS=1 for <see cref="KvStoreCluster.SetFailpointAsync"/>).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}
