using Etcdserverpb;
using Grpc.Core;
using Xunit.Abstractions;

namespace KvStore.Differential.Tests.Hostile;

/// <summary>
/// One hostile input: what it does to a server (returning a one-line outcome) and the answer expected of both
/// servers, etcd's exact code and message. Where etcd 3.4's own answer is odd (it crashes, or etcd 3.5 fixed it and
/// kvstore answers as 3.5 does) <see cref="Etcd34"/> or <see cref="CrashesEtcd34"/> says so and <see cref="Why"/> why.
/// </summary>
internal sealed record HostileCase(string Name, string Expected, Func<HostileSide, Task<string>> Run)
{
    /// <summary>etcd 3.4's outcome where it differs from <see cref="Expected"/> (kvstore's).</summary>
    public string? Etcd34 { get; init; }

    /// <summary>The input makes etcd 3.4 exit (a Go panic), so it is not sent to the shared etcd (EtcdCrashTests shows it).</summary>
    public bool CrashesEtcd34 { get; init; }

    public string? Why { get; init; }

    /// <summary>Revisions the case itself adds; with 0 the revision and HashKV must not change.</summary>
    public int Writes { get; init; }

    public override string ToString() => Name;
}

/// <summary>Runs a case on both servers of a pair and checks the answer, the state and that the server still serves.</summary>
internal static class HostileRunner
{
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(90);

    public static async Task RunAsync(HostileCase c, HostilePair pair, ITestOutputHelper output)
    {
        var failures = new List<string>();
        var lines = new List<string>();
        foreach (HostileSide side in pair.Sides)
        {
            bool etcd = side.Name == "etcd";
            if (etcd && c.CrashesEtcd34)
            {
                lines.Add($"  etcd     (not sent: etcd 3.4 exits) {c.Why}");
                continue;
            }
            string expected = etcd ? c.Etcd34 ?? c.Expected : c.Expected;
            try
            {
                var before = await side.StateAsync();
                string outcome = await Outcome.OfAsync(() => c.Run(side), CaseTimeout);
                lines.Add($"  {side.Name,-8} {outcome}");
                if (outcome != expected) failures.Add($"{side.Name}: expected {expected}\n{new string(' ', side.Name.Length + 2)}got      {outcome}");
                var after = await side.StateAsync();
                long want = before.Revision + c.Writes;
                if (after.Revision != want) failures.Add($"{side.Name}: revision {before.Revision} -> {after.Revision}, expected {want}");
                else if (c.Writes == 0 && after.Hash != before.Hash) failures.Add($"{side.Name}: HashKV changed at revision {want}");
                await side.ProbeAsync(c.Name);
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException or HttpRequestException)
            {
                failures.Add($"{side.Name} no longer serves: {e.GetType().Name}: {e.Message}\n{side.Member.Process.Tail(20)}");
            }
        }
        if (c.Etcd34 is not null) lines.Add($"  (etcd 3.4 differs: {c.Why})");
        output.WriteLine($"{c.Name}\n{string.Join('\n', lines)}");
        if (failures.Count > 0) Assert.Fail($"{c.Name}\n{string.Join('\n', failures)}");
    }
}

/// <summary>One-line outcomes: an error as its gRPC code and message, a success as what matters of it.</summary>
internal static class Outcome
{
    public static string Of(RpcException e) => $"{e.StatusCode} \"{e.Status.Detail}\"";

    public static async Task<string> OfAsync(Func<Task<string>> run, TimeSpan timeout)
    {
        try
        {
            return await run().WaitAsync(timeout);
        }
        catch (RpcException e)
        {
            return Of(e);
        }
        catch (TimeoutException)
        {
            return $"no answer within {timeout.TotalSeconds} s";
        }
    }

    public static string Of(RangeResponse r) =>
        $"OK count={r.Count} keys=[{string.Join(' ', r.Kvs.Select(kv => kv.Key.ToStringUtf8()))}]" + (r.More ? " more" : "");

    public static string Of(TxnResponse r) => $"OK succeeded={r.Succeeded.ToString().ToLowerInvariant()} responses={r.Responses.Count}";

    public static string Of(DeleteRangeResponse r) => $"OK deleted={r.Deleted}";

    public static string Of(WatchResponse r) =>
        $"watch created={r.Created.ToString().ToLowerInvariant()} canceled={r.Canceled.ToString().ToLowerInvariant()} id={r.WatchId}"
        + (r.CancelReason.Length > 0 ? $" reason=\"{r.CancelReason}\"" : "") + (r.CompactRevision != 0 ? $" compact_revision={r.CompactRevision}" : "")
        + (r.Events.Count > 0 ? $" events={r.Events.Count}" : "");
}
