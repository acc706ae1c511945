using System.Collections.Concurrent;
using System.Threading.Channels;
using DotNext.Net.Cluster.Consensus.Raft;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;
using Kvstorepb;

namespace KvStore.Server;

public sealed partial class EtcdServer
{
    /// <summary>Most bytes of commands batched into one Raft entry.</summary>
    private const int MaxBatchBytes = 1 << 20;

    /// <summary>Raft entries replicating at once (the pipeline depth of group commit).</summary>
    private const int MaxInFlightBatches = 4;

    private readonly Channel<InternalRaftRequest> _proposals =
        Channel.CreateUnbounded<InternalRaftRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<ProposeResult>> _waiters = new();
    private readonly SemaphoreSlim _inFlight = new(MaxInFlightBatches);
    private long _nextRequestId;

    /// <summary>etcd's request timeout: 5 s plus twice the election timeout.</summary>
    private TimeSpan RequestTimeout => TimeSpan.FromSeconds(5) + TimeSpan.FromMilliseconds(2.0 * Config.ElectionTimeoutMs);

    /// <summary>Request ids unique per member (etcd's idutil: member id bits, then a counter seeded by time).</summary>
    private ulong NextRequestId()
    {
        if (_nextRequestId == 0)
        {
            long seed = (long)(((MemberId & 0xffff) << 48) | (((ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() & 0xffffffffff) << 8));
            Interlocked.CompareExchange(ref _nextRequestId, seed, 0);
        }
        return (ulong)Interlocked.Increment(ref _nextRequestId);
    }

    public async Task<ProposeResult> ProposeAsync(InternalRaftRequest request, CancellationToken cancellationToken)
    {
        if (_disposed) return new ProposeResult(null, Error: ServerError.Stopped);
        if (request.CalculateSize() > Config.MaxRequestBytes) return new ProposeResult(null, Error: ServerError.RequestTooLarge);
        if (IsWrite(request) && !QuotaAvailable(request)) return new ProposeResult(null, Error: ServerError.NoSpace);

        ulong id = NextRequestId();
        request.Header = new RequestHeader { ID = id };
        var waiter = new TaskCompletionSource<ProposeResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters[id] = waiter;
        // A follower hands the command to the leader (EtcdServer.Forward.cs); the leader batches it into the log.
        (IsLeader ? _proposals : _forwards).Writer.TryWrite(request);
        try
        {
            return await waiter.Task.WaitAsync(RequestTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return new ProposeResult(null, Error: ServerError.Timeout);
        }
        finally
        {
            _waiters.TryRemove(id, out _);
        }
    }

    /// <summary>Takes queued proposals, packs them into one Raft entry each round, keeps a few rounds in flight.</summary>
    private async Task ProposeLoopAsync(CancellationToken token)
    {
        ChannelReader<InternalRaftRequest> reader = _proposals.Reader;
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
            _ = ReplicateAsync(batch, token);
        }
    }

    private async Task ReplicateAsync(RaftBatch batch, CancellationToken token)
    {
        try
        {
            if (!IsLeader)
            {
                // Not proposed anywhere yet: the leader can still take it.
                foreach (InternalRaftRequest r in batch.Requests) _forwards.Writer.TryWrite(r);
                return;
            }
            await _cluster.ReplicateAsync(batch.ToByteArray(), null!, token).ConfigureAwait(false);
        }
        catch (NotLeaderException)
        {
            FailWaiters(batch, ServerError.NoLeader);
        }
        catch (OperationCanceledException)
        {
            FailWaiters(batch, ServerError.Stopped);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            FailWaiters(batch, ServerError.Stopped);
        }
        finally
        {
            _inFlight.Release();
        }
    }

    private void FailWaiters(RaftBatch batch, ServerError error)
    {
        foreach (InternalRaftRequest r in batch.Requests) CompleteWaiter(r.Header.ID, new ProposeResult(null, Error: error));
    }

    private void FailAllWaiters(ServerError error)
    {
        foreach (var waiter in _waiters.Values) waiter.TrySetResult(new ProposeResult(null, Error: error));
    }

    internal void CompleteWaiter(ulong id, ProposeResult result)
    {
        if (id != 0 && _waiters.TryGetValue(id, out var waiter)) waiter.TrySetResult(result);
    }

    internal void CompleteWaiter(ulong id, Exception error)
    {
        if (id != 0 && _waiters.TryGetValue(id, out var waiter)) waiter.TrySetException(error);
    }

    /// <summary>The apply dispatch for one committed command (engine commands, plus alarms which the member owns).</summary>
    internal ProposeResult ApplyCommand(long engineIndex, InternalRaftRequest request, long nowMs)
    {
        if (request.Alarm is { } alarm) return ApplyAlarm(engineIndex, alarm);
        if (NoSpaceActive && IsWrite(request))
        {
            _store.MarkApplied(engineIndex); // etcd's applierV3Capped refuses writes while NOSPACE is raised
            return new ProposeResult(null, Error: ServerError.NoSpace);
        }
        ApplyResult r = _store.Apply(engineIndex, request, nowMs);
        return new ProposeResult(r.Response, r.Error == MvccError.AlreadyApplied ? MvccError.None : r.Error);
    }

    private static bool IsWrite(InternalRaftRequest r) =>
        r.Put is not null || r.LeaseGrant is not null || (r.Txn is { } txn && !RequestValidation.IsReadOnly(txn));
}
