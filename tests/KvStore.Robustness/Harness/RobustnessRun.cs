using KvStore.Robustness.History;
using KvStore.Robustness.Traffic;

namespace KvStore.Robustness.Harness;

/// <summary>
/// One run: starts the target cluster, drives the traffic and the probes while the fault schedule runs for the
/// duration, stops, waits until the cluster is healthy, collects each member's final state and returns the history.
/// </summary>
public static class RobustnessRun
{
    private static readonly TimeSpan HealthyTimeout = TimeSpan.FromSeconds(90);

    /// <param name="memberLogs">Where each member's output (of every start) is written when the run ends, if set.</param>
    public static async Task<RecordedHistory> RunAsync(RunOptions options, TextWriter log, string? memberLogs = null)
    {
        // Clients, probes and watches are hundreds of concurrent calls: do not let their continuations wait for the
        // thread pool's slow growth from one worker per core (the run measures the server's latency, not the pool's).
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));
        ITraffic traffic = options.Traffic switch
        {
            "etcd" => new EtcdTraffic(),
            "kube" => new KubeTraffic(),
            _ => throw new ArgumentException($"unknown traffic \"{options.Traffic}\" (etcd or kube)"),
        };
        string[] lowSnapshots = options.Target == "kvstore"
            ? ["--snapshot-count", FaultKinds.LowSnapshotCount.ToString(), "--experimental-snapshot-catchup-entries", FaultKinds.LowCatchUpEntries.ToString()]
            : ["--snapshot-count", FaultKinds.LowSnapshotCount.ToString()];
        string[] flags = [.. options.MemberFlags, .. options.Faults.Contains(FaultKinds.RestartSnapshot) ? lowSnapshots : []];
        IReadOnlyList<string> kinds = options.Faults;
        if (options.Target != "kvstore" && FaultKinds.NeedFailpoints(kinds))
        {
            kinds = kinds.Where(k => !FaultKinds.UsesFailpoints(k)).ToList();
            await log.WriteLineAsync($"{options.Target}: no {FaultKinds.SlowSave} or {FaultKinds.CrashSave} (they use kvstore's failpoints)")
                .ConfigureAwait(false);
        }
        await log.WriteLineAsync($"starting {options.Members} {options.Target} members").ConfigureAwait(false);
        await using ClusterTarget target = await ClusterTarget.StartAsync(options.Target, options.Members, flags,
            proxyPeers: FaultKinds.NeedProxy(kinds), smallDisks: kinds.Contains(FaultKinds.DiskFull), failpoints: FaultKinds.NeedFailpoints(kinds))
            .ConfigureAwait(false);
        var members = target.ClientUrls.Select((url, i) => new MemberChannel(i, url)).ToList();
        try
        {
            await ClusterProbe.WaitHealthyAsync(target, members, HealthyTimeout).ConfigureAwait(false);
            var recorder = new HistoryRecorder();
            var context = new TrafficContext(members, recorder, options.RequestDeadline, options.Seed);
            await log.WriteLineAsync($"running {options.Scenario} for {options.Duration.TotalSeconds:0} s, seed {options.Seed}").ConfigureAwait(false);

            using var stop = new CancellationTokenSource();
            DateTime end = DateTime.UtcNow + options.Duration;
            Task load = traffic.RunAsync(context, options.Clients, stop.Token);
            Task probes = new Prober(target, context).RunAsync(stop.Token);
            var faults = new FaultRunner(target, members, recorder, new Random(TrafficContext.SeedFor(options.Seed, -1)), log);
            await faults.RunAsync(kinds, end).ConfigureAwait(false);
            // The last fault may end after the duration: traffic goes on a while after it, so its recovery is measured.
            TimeSpan tail = kinds.Count == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(3 * target.ElectionTimeoutMs);
            TimeSpan left = (end > DateTime.UtcNow ? end - DateTime.UtcNow : TimeSpan.Zero) + tail;
            await Task.Delay(left).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(load, probes).ConfigureAwait(false);

            // After a fault whose member did not come back, the others are checked.
            var serving = members.Where(m => target.IsRunning(m.Member)).ToList();
            await ClusterProbe.WaitHealthyAsync(target, serving, HealthyTimeout).ConfigureAwait(false);
            List<MemberState> finals = await FinalStates.CollectAsync(target, serving, traffic.Quiet).ConfigureAwait(false);
            return recorder.Build(target.Name, options.Seed, options.Scenario, options.Members, target.ElectionTimeoutMs, finals);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            throw new InvalidOperationException($"{e.Message}\n{target.Logs()}", e);
        }
        finally
        {
            foreach (MemberChannel m in members) m.Dispose();
            if (memberLogs is not null) await File.WriteAllTextAsync(memberLogs, target.AllLogs()).ConfigureAwait(false);
        }
    }
}
