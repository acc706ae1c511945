using KvStore.Robustness.History;

namespace KvStore.Robustness.Traffic;

/// <summary>What every client of a run shares: the members' channels, the recorder and the per-request deadline.</summary>
public sealed record TrafficContext(IReadOnlyList<MemberChannel> Members, HistoryRecorder Recorder, TimeSpan Deadline, long Seed)
{
    public RecordingClient Client(int id) => new(id, Members, Recorder, Deadline);

    /// <summary>Client <paramref name="id"/>'s own random source, derived from the run's seed.</summary>
    public Random Random(int id) => new(SeedFor(Seed, id));

    /// <summary>A stable seed per (run seed, stream): HashCode.Combine is randomized per process, so it would not replay.</summary>
    public static int SeedFor(long seed, int stream) => unchecked((int)(seed * 1_000_003 + stream * 7919 + (seed >> 32)));

    /// <summary>The first key after every key that starts with <paramref name="prefix"/> (etcd's prefix range end).</summary>
    public static string PrefixEnd(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);
}

/// <summary>A kind of client load (etcd-style or Kubernetes-style); runs its clients until <c>stop</c>.</summary>
public interface ITraffic
{
    string Name { get; }

    /// <summary>How long the revision must stay still before the final states are read: past the expiry of the short leases it granted.</summary>
    TimeSpan Quiet { get; }

    Task RunAsync(TrafficContext context, int clients, CancellationToken stop);
}
