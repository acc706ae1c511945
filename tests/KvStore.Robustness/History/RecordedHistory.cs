using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KvStore.Robustness.History;

/// <summary>
/// Everything one robustness run recorded: the operations, watches and faults, and each member's final state.
/// Saved as JSON so a failing run's check can be replayed (<see cref="Load"/>) without the cluster.
/// </summary>
public sealed class RecordedHistory
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>"kvstore" or "etcd".</summary>
    public string Target { get; init; } = "kvstore";
    public long Seed { get; init; }
    public string Scenario { get; init; } = "";
    public int Members { get; init; }

    /// <summary>The election timeout of the run's members, in milliseconds (availability targets are multiples of it).</summary>
    public int ElectionTimeoutMs { get; init; }

    public List<Operation> Operations { get; init; } = [];
    public List<WatchRecord> Watches { get; init; } = [];
    public List<FaultRecord> Faults { get; init; } = [];
    public List<MemberState> FinalStates { get; init; } = [];

    public void Save(string path)
    {
        using var file = File.Create(path);
        JsonSerializer.Serialize(file, this, Json);
    }

    public static RecordedHistory Load(string path)
    {
        using var file = File.OpenRead(path);
        return JsonSerializer.Deserialize<RecordedHistory>(file, Json) ?? throw new InvalidDataException($"{path} holds no history");
    }
}

/// <summary>The harness's thread-safe sink while a run goes on; <see cref="Build"/> orders everything by time.</summary>
public sealed class HistoryRecorder
{
    private readonly ConcurrentQueue<Operation> _operations = new();
    private readonly ConcurrentQueue<WatchRecord> _watches = new();
    private readonly ConcurrentQueue<FaultRecord> _faults = new();
    private long _nextId;

    public long NextId() => Interlocked.Increment(ref _nextId);

    public void Add(Operation operation) => _operations.Enqueue(operation);

    public void Add(WatchRecord watch) => _watches.Enqueue(watch);

    public void Add(FaultRecord fault) => _faults.Enqueue(fault);

    public RecordedHistory Build(string target, long seed, string scenario, int members, int electionTimeoutMs, IEnumerable<MemberState> finalStates) =>
        new()
        {
            Target = target,
            Seed = seed,
            Scenario = scenario,
            Members = members,
            ElectionTimeoutMs = electionTimeoutMs,
            Operations = _operations.OrderBy(o => o.Invoke).ToList(),
            Watches = _watches.OrderBy(w => w.Opened).ToList(),
            Faults = _faults.OrderBy(f => f.Start).ToList(),
            FinalStates = finalStates.ToList(),
        };
}

/// <summary>The history's monotonic clock: nanoseconds since the process started it.</summary>
public static class Clock
{
    private static readonly long Origin = System.Diagnostics.Stopwatch.GetTimestamp();

    public static long Now => (long)((System.Diagnostics.Stopwatch.GetTimestamp() - Origin) * (1e9 / System.Diagnostics.Stopwatch.Frequency));
}
