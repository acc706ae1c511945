using System.Threading.Channels;

namespace KvStore.ApiServer.Controllers;

/// <summary>
/// A controller's queue (client-go's workqueue, reduced): an item queued while it already waits is queued once; an item
/// can come back after a delay. One consumer reads it.
/// </summary>
internal sealed class WorkQueue<T> where T : notnull
{
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

    /// <summary>Queues <paramref name="item"/> again after <paramref name="delay"/> (unless <paramref name="cancellationToken"/> ends first).</summary>
    public void AddAfter(T item, TimeSpan delay, CancellationToken cancellationToken) =>
        _ = Task.Delay(delay, cancellationToken).ContinueWith(_ => Add(item), cancellationToken, TaskContinuationOptions.OnlyOnRanToCompletion,
            TaskScheduler.Default);

    /// <summary>The next item; it may be queued again as soon as it is handed out.</summary>
    public async ValueTask<T> TakeAsync(CancellationToken cancellationToken)
    {
        var item = await _items.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock) _waiting.Remove(item);
        return item;
    }

    /// <summary>
    /// The controller's worker: each item to <paramref name="handle"/> in turn until <paramref name="cancellationToken"/>
    /// ends. A controller outlives any one failure: the item goes to <paramref name="failed"/> (to log) and comes back
    /// after <paramref name="retry"/>.
    /// </summary>
    public async Task RunAsync(Func<T, CancellationToken, Task> handle, Action<T, Exception> failed, TimeSpan retry, CancellationToken cancellationToken)
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
                AddAfter(item, retry, cancellationToken);
            }
        }
    }
}
