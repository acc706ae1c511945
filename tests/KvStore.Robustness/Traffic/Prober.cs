using KvStore.Robustness.Harness;
using KvStore.Robustness.History;

namespace KvStore.Robustness.Traffic;

/// <summary>
/// Availability probes, recorded like any client's: every 100 ms a put and a linearizable get of one probe key,
/// each on its own one-shot client to a member that runs and is not paused, without waiting for earlier probes,
/// so the first success after a fault is seen within about 100 ms even while other requests hang.
/// </summary>
public sealed class Prober(ClusterTarget target, TrafficContext context)
{
    public const string Key = "probe/key";

    /// <summary>Client ids of probes start here (each probe request is its own client).</summary>
    public const int FirstClient = 100_000;

    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(100);

    public async Task RunAsync(CancellationToken stop)
    {
        var inFlight = new List<Task>();
        int next = FirstClient;
        int round = 0;
        while (!stop.IsCancellationRequested)
        {
            int[] serving = Enumerable.Range(0, target.Size).Where(i => target.IsRunning(i) && !target.IsPaused(i)).ToArray();
            if (serving.Length > 0)
            {
                MemberChannel member = context.Members[serving[round++ % serving.Length]];
                int put = next++, get = next++;
                inFlight.Add(new RecordingClient(put, [member], context.Recorder, context.Deadline).SendAsync(new PutRequest(Key, $"p{put}")));
                inFlight.Add(new RecordingClient(get, [member], context.Recorder, context.Deadline).SendAsync(new RangeRequest(Key)));
            }
            inFlight.RemoveAll(t => t.IsCompleted);
            try
            {
                await Task.Delay(Every, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        await Task.WhenAll(inFlight).ConfigureAwait(false);
    }
}
