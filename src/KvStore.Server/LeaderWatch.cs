namespace KvStore.Server;

/// <summary>
/// Leader changes as a task and a token, so a follower's forwarding wakes at the change instead of polling, and a call
/// to a leader that no longer leads is abandoned instead of waiting out its deadline (a paused leader never answers).
/// Read <see cref="Token"/> before reading the leader: a change in between leaves the token cancelled.
/// </summary>
internal sealed class LeaderWatch
{
    // Cancelled (never disposed: it has no timer) and replaced at every change; a token taken earlier stays valid.
    private CancellationTokenSource _epoch = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Cancelled at the next leader change (to another member, or to none).</summary>
    public CancellationToken Token => Volatile.Read(ref _epoch).Token;

    /// <summary>Completes at the next leader change.</summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

    /// <summary>Called from the cluster's LeaderChanged event.</summary>
    public void OnChanged()
    {
        CancellationTokenSource old = Interlocked.Exchange(ref _epoch, new CancellationTokenSource());
        Interlocked.Exchange(ref _changed, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        old.Cancel();
    }

    /// <summary>Waits until the leader changes or <paramref name="most"/> passed, whichever comes first.</summary>
    public Task WaitAsync(TimeSpan most, CancellationToken token) => WaitAsync(Changed, most, token);

    /// <summary>As <see cref="WaitAsync(TimeSpan, CancellationToken)"/>, for a <see cref="Changed"/> read before the leader was.</summary>
    public static async Task WaitAsync(Task changed, TimeSpan most, CancellationToken token)
    {
        try
        {
            await changed.WaitAsync(most, token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }
}
