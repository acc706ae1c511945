using KvStore.Server;

namespace KvStore.Grpc;

/// <summary>
/// Picks lease ids when a client asks for id 0, as etcd's reqIDGen (pkg/idutil): the member id's low 16 bits,
/// then 40 bits of the start time in milliseconds and an 8-bit counter that carries into them; only positive
/// ids are used. Ids differ across members and restarts without coordination.
/// </summary>
public sealed class LeaseIdGenerator
{
    private const int CountBits = 8;
    private const int SuffixBits = 40 + CountBits;
    private readonly ulong _prefix;
    private ulong _suffix;

    public LeaseIdGenerator(IEtcdServer server) : this(server.MemberId, DateTimeOffset.UtcNow) { }

    internal LeaseIdGenerator(ulong memberId, DateTimeOffset now)
    {
        _prefix = (memberId & 0xFFFF) << SuffixBits;
        ulong unixMs = (ulong)now.ToUnixTimeMilliseconds();
        _suffix = (unixMs & ((1UL << 40) - 1)) << CountBits;
    }

    /// <summary>The next positive id.</summary>
    public long Next()
    {
        while (true)
        {
            ulong suffix = Interlocked.Increment(ref _suffix);
            long id = (long)((_prefix | (suffix & ((1UL << SuffixBits) - 1))) & long.MaxValue);
            if (id != 0) return id;
        }
    }
}
