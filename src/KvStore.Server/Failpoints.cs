using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using KvStore.Wal;

namespace KvStore.Server;

/// <summary>
/// Fault points for tests, named as etcd's gofail points (etcd's robustness tests arm raftBeforeSave the same way):
/// a member started with <c>KVSTORE_FAILPOINTS=1</c> serves <c>/debug/failpoints/NAME</c> on its client URLs (PUT a
/// term to arm, DELETE to disarm, GET to list). Without the variable there is no instance and no endpoint.
/// Terms: <c>sleep(MS)</c>, the thread that reaches the point waits that many milliseconds each time; <c>panic</c>, the
/// process dies there (SIGKILL to itself, after a line on stderr: nothing is flushed, as in a crash); <c>off</c>.
/// Used by LeaderChangeTests.ANewLeaderReadsOnlyAfterItsFirstCommit and the robustness tool's slow-save and crash-save.
/// </summary>
public sealed partial class Failpoints : IWalFaults
{
    /// <summary>The environment variable that turns failpoints on (its value must be 1).</summary>
    public const string EnvironmentVariable = "KVSTORE_FAILPOINTS";

    /// <summary>etcd's raftBeforeSave: the Raft log's writer, before it writes a batch of entries (none of them durable yet).</summary>
    public const string RaftBeforeSave = "raftBeforeSave";

    /// <summary>etcd's raftAfterSave: after the Raft log's writer synced a batch, before anyone is told it is durable.</summary>
    public const string RaftAfterSave = "raftAfterSave";

    private static readonly string[] Known = [RaftBeforeSave, RaftAfterSave];

    private const int Panic = -1; // the SleepMs of a point armed with panic

    private readonly ConcurrentDictionary<string, (string Term, int SleepMs)> _armed = new(StringComparer.Ordinal);

    /// <summary>An instance when <c>KVSTORE_FAILPOINTS=1</c> is in <paramref name="environment"/>, else null.</summary>
    public static Failpoints? FromEnvironment(System.Collections.IDictionary environment) =>
        environment[EnvironmentVariable] as string == "1" ? new Failpoints() : null;

    /// <summary>Every point this build has.</summary>
    public static IReadOnlyList<string> Names => Known;

    /// <summary>Arms <paramref name="name"/> with <paramref name="term"/> (<c>off</c> disarms); the reason when refused.</summary>
    public string? Arm(string name, string term)
    {
        if (!Known.Contains(name, StringComparer.Ordinal)) return $"unknown failpoint {name}; known: {string.Join(", ", Known)}";
        term = term.Trim();
        if (term == "off")
        {
            _armed.TryRemove(name, out _);
            return null;
        }
        if (term == "panic")
        {
            _armed[name] = (term, Panic);
            return null;
        }
        Match sleep = SleepTerm().Match(term);
        if (!sleep.Success || !int.TryParse(sleep.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int ms))
        {
            return $"unsupported term '{term}': sleep(MILLISECONDS), panic or off";
        }
        _armed[name] = (term, ms);
        return null;
    }

    /// <summary>Disarms <paramref name="name"/>; false when it was not armed.</summary>
    public bool Disarm(string name) => _armed.TryRemove(name, out _);

    /// <summary>The armed points as gofail lists them: <c>name=term</c>, one a line.</summary>
    public string List() => string.Concat(_armed.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value.Term}\n"));

    void IWalFaults.At(WalStep step)
    {
        string? name = step switch
        {
            WalStep.BeforeWrite => RaftBeforeSave,
            WalStep.AfterSync => RaftAfterSave,
            _ => null,
        };
        if (name is null || !_armed.TryGetValue(name, out var point)) return;
        if (point.SleepMs != Panic)
        {
            Thread.Sleep(point.SleepMs);
            return;
        }
        Console.Error.WriteLine($"failpoint {name}: panic");
        Console.Error.Flush();
        System.Diagnostics.Process.GetCurrentProcess().Kill();
        Thread.Sleep(Timeout.Infinite); // the signal is on its way
    }

    [GeneratedRegex(@"^sleep\((\d{1,9})\)$", RegexOptions.CultureInvariant)]
    private static partial Regex SleepTerm();
}
