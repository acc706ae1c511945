using System.Threading.Channels;
using Etcdserverpb;
using Kvstorepb;

namespace KvStore.Server.Replication;

/// <summary>
/// Group commit: takes queued commands, packs as many as fit into one <see cref="RaftBatch"/> each round, and keeps a
/// few batches in flight, each handed to <c>send</c> (the leader's append, or a follower's forward to the leader).
/// </summary>
internal sealed class BatchingLoop(Func<RaftBatch, CancellationToken, Task> send)
{
    /// <summary>Most bytes of commands in one batch.</summary>
    public const int MaxBatchBytes = 1 << 20;

    /// <summary>Batches sent at once (the pipeline depth of group commit).</summary>
    public const int MaxInFlight = 4;

    private readonly Channel<InternalRaftRequest> _queue =
        Channel.CreateUnbounded<InternalRaftRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _inFlight = new(MaxInFlight);

    /// <summary>Queues a command for the next batch.</summary>
    public void Enqueue(InternalRaftRequest request) => _queue.Writer.TryWrite(request);

    /// <summary>Ends the loop once the queue is drained.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Runs until <see cref="Complete"/> or <paramref name="token"/>.</summary>
    public async Task RunAsync(CancellationToken token)
    {
        ChannelReader<InternalRaftRequest> reader = _queue.Reader;
        while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
        {
            await _inFlight.WaitAsync(token).ConfigureAwait(false);
            var batch = new RaftBatch();
            int bytes = 0;
            while (batch.Requests.Count < RaftStateMachine.MaxBatch && bytes < MaxBatchBytes && reader.TryRead(out InternalRaftRequest? r))
            {
                batch.Requests.Add(r);
                bytes += r.CalculateSize();
            }
            _ = SendAsync(batch, token);
        }
    }

    /// <summary>Sends one batch; <c>send</c> answers every waiter of the batch itself, whatever happens.</summary>
    private async Task SendAsync(RaftBatch batch, CancellationToken token)
    {
        try
        {
            await send(batch, token).ConfigureAwait(false);
        }
        finally
        {
            _inFlight.Release();
        }
    }
}
