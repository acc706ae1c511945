using System.Threading.Channels;

namespace KvStore.ApiServer.Controllers;

/// <summary>
/// A controller's queue and its worker (client-go's workqueue, reduced): an item queued while it already waits is queued
/// once; an item can come back after a delay; one worker, started by one of the <c>Start</c> overloads and stopped by disposing, hands
/// the items out one at a time.
/// </summary>
internal sealed class WorkQueue<T> : IAsyncDisposable where T : notnull
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _worker = Task.CompletedTask;
    private readonly Channel<T> _items = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HashSet<T> _waiting = [];
    private readonly Lock _lock = new();

    public void Add(T item)
    {
        lock (_lock)
        {
            if (!_waiting.Add(item)) return;
        }
        _items.Writer.TryWrite(item);
    }

    /// <summary>Queues <paramref name="item"/> again after <paramref name="delay"/> (unless the queue stops first).</summary>
    public void AddAfter(T item, TimeSpan delay)
    {
        if (_stopping.IsCancellationRequested) return; // stopped (its token may be disposed)
        _ = Task.Delay(delay, _stopping.Token).ContinueWith(_ => Add(item), _stopping.Token, TaskContinuationOptions.OnlyOnRanToCompletion,
            TaskScheduler.Default);
    }

    /// <summary>The next item; it may be queued again as soon as it is handed out.</summary>
    public async ValueTask<T> TakeAsync(CancellationToken cancellationToken)
    {
        var item = await _items.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock) _waiting.Remove(item);
        return item;
    }

    /// <summary>
    /// Starts the worker: each item to <paramref name="handle"/> in turn until the queue is disposed. A controller outlives
    /// any one failure: the item goes to <paramref name="failed"/> (to log) and comes back after <paramref name="retry"/>.
    /// </summary>
    public void Start(Func<T, CancellationToken, Task> handle, Action<T, Exception> failed, TimeSpan retry) =>
        _worker = Task.Run(() => RunAsync(handle, failed, retry, _stopping.Token));

    /// <summary>As <see cref="Start(Func{T, CancellationToken, Task}, Action{T, Exception}, TimeSpan)"/> for a sync that may
    /// not be done yet: an item <paramref name="sync"/> answers false for comes back after <paramref name="again"/>.</summary>
    public void Start(Func<T, CancellationToken, Task<bool>> sync, TimeSpan again, Action<T, Exception> failed, TimeSpan retry) =>
        Start(async (item, cancellationToken) =>
        {
            if (!await sync(item, cancellationToken).ConfigureAwait(false)) AddAfter(item, again);
        }, failed, retry);

    private async Task RunAsync(Func<T, CancellationToken, Task> handle, Action<T, Exception> failed, TimeSpan retry,
        CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            T item;
            try
            {
                item = await TakeAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                await handle(item, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed(item, e);
                AddAfter(item, retry);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _worker.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }
}
