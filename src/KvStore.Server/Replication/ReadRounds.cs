namespace KvStore.Server.Replication;

/// <summary>
/// How linearizable reads share read rounds (etcd's linearizableReadLoop, with more than one round at a time): a read
/// starts a round of its own while fewer than <see cref="MaxInFlight"/> run, so at low concurrency it never waits for a
/// round that started before it; past that, reads gather for the next round and one round serves them all. Every
/// round a read gets started after the read arrived. Tested by ReadRoundsTests.
/// </summary>
internal sealed class ReadRounds(Func<Task<ServerError>> round)
{
    /// <summary>Rounds that may run at once.</summary>
    public const int MaxInFlight = 2;

    private readonly Lock _lock = new();
    private TaskCompletionSource<ServerError>? _next; // reads waiting for a round to start
    private int _inFlight;

    /// <summary>The outcome of a round that starts after this call.</summary>
    public Task<ServerError> WaitAsync(CancellationToken cancellationToken)
    {
        Task<ServerError> mine;
        TaskCompletionSource<ServerError>? start = null;
        lock (_lock)
        {
            _next ??= new TaskCompletionSource<ServerError>(TaskCreationOptions.RunContinuationsAsynchronously);
            mine = _next.Task;
            if (_inFlight < MaxInFlight)
            {
                _inFlight++;
                start = _next;
                _next = null;
            }
        }
        if (start is not null) _ = RunAsync(start);
        return mine.WaitAsync(cancellationToken);
    }

    /// <summary>Runs <paramref name="pending"/>'s round, then the reads gathered meanwhile, until none are left.</summary>
    private async Task RunAsync(TaskCompletionSource<ServerError> pending)
    {
        while (true)
        {
            ServerError result;
            try
            {
                result = await round().ConfigureAwait(false);
            }
            catch (Exception)
            {
                result = ServerError.Stopped; // a round answers its outcome; one that throws ends as if the member stopped
            }
            pending.TrySetResult(result);
            lock (_lock)
            {
                if (_next is null)
                {
                    _inFlight--;
                    return;
                }
                pending = _next;
                _next = null;
            }
        }
    }
}
