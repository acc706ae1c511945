using System.Threading.Channels;
using DotNext.Net.Cluster.Consensus.Raft;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;
using KvStore.Server.Apply;
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
    private readonly WaitRegistry _waiters = new();
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
        if (IsWrite(request) && !QuotaAvailable(request))
        {
            await _quota.NoSpaceRaisedAsync(cancellationToken).ConfigureAwait(false);
            return new ProposeResult(null, Error: ServerError.NoSpace);
        }

        // etcd's processInternalRaftRequestOnce: the user of the call's token travels in the header.
        MvccError authError = ResolveAuth(out AuthInfo? auth);
        if (authError != MvccError.None) return new ProposeResult(null, authError);
        ulong id = NextRequestId();
        request.Header = new RequestHeader { ID = id, Username = auth?.Username ?? "", AuthRevision = auth?.Revision ?? 0 };
        // No timer per request: the registry's sweeper answers "request timed out" once the deadline passed.
        TaskCompletionSource<ProposeResult> waiter = _waiters.Register(id, Environment.TickCount64 + (long)RequestTimeout.TotalMilliseconds);
        // A follower hands the command to the leader (EtcdServer.Forward.cs); the leader batches it into the log.
        (IsLeader ? _proposals : _forwards).Writer.TryWrite(request);
        try
        {
            return cancellationToken.CanBeCanceled
                ? await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false)
                : await waiter.Task.ConfigureAwait(false);
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
            if (LeaderTermOrZero() is not (> 0 and var term))
            {
                // Not proposed anywhere yet: the leader can still take it. Leading but between terms (the leader event
                // not seen yet, or stepping down): wait a moment rather than spin between the two queues.
                if (IsLeader) await Task.Delay(10, token).ConfigureAwait(false);
                foreach (InternalRaftRequest r in batch.Requests) _forwards.Writer.TryWrite(r);
                return;
            }
            await AppendAsLeaderAsync(batch, term, token).ConfigureAwait(false);
        }
        catch (NotLeaderException)
        {
            _waiters.Fail(batch, ServerError.NoLeader);
        }
        catch (OperationCanceledException)
        {
            _waiters.Fail(batch, ServerError.Stopped);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            _waiters.Fail(batch, ServerError.Stopped);
        }
        finally
        {
            _inFlight.Release();
        }
    }

    /// <summary>
    /// Appends <paramref name="batch"/> as an entry of <paramref name="term"/> (the term this member leads in) and
    /// waits until it is committed. Never DotNext's ReplicateAsync(payload) extension: it stamps the entry with the
    /// member's current term, read outside DotNext's transition lock, so an entry proposed while the leader was
    /// stepping down (its term already raised to the new leader's) was appended with the NEW term. A later
    /// AppendEntries from the new leader then matched it by (index, term), Raft's log matching broke, and the old
    /// leader applied its own command where the others applied the new leader's (the SIGSTOP fault test's
    /// divergence). Stamped with the old term, it conflicts and is replaced.
    /// </summary>
    /// <para>The entry's context carries the batch as proposed, so that this member's applier uses the parsed
    /// requests instead of parsing its own payload again (<see cref="ProposedBatch"/>).</para>
    private ValueTask AppendAsLeaderAsync(RaftBatch batch, long term, CancellationToken token)
    {
        byte[] content = batch.ToByteArray();
        return _cluster.ReplicateAsync(new BinaryLogEntry { Content = content, Term = term, Context = new ProposedBatch(batch, content) }, token);
    }

    /// <summary>
    /// Appends an entry without commands when this member leads (in the background; nothing waits for it). The
    /// apply loop takes a snapshot asked for by a resent one (<see cref="RaftStateMachine"/>'s OnSnapshotResent) at
    /// its next entry, and an idle cluster has no next entry: without this, a member whose install completed after
    /// the leader's request timed out was sent the same snapshot forever (seen: members 2049 vs 2069 for 90 s).
    /// </summary>
    internal void AppendEmptyEntry()
    {
        if (LeaderTermOrZero() is not (> 0 and var term)) return;
        _ = AppendEmptyEntryAsync(term);
    }

    private async Task AppendEmptyEntryAsync(long term)
    {
        try
        {
            await AppendAsLeaderAsync(new RaftBatch(), term, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NotLeaderException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            // no longer leading or stopping: the next leader's own no-op entry serves the same purpose
        }
    }

    /// <summary>The term this member leads in, or 0 when it does not lead (or its term has moved on since it became leader).</summary>
    private long LeaderTermOrZero()
    {
        long term = Volatile.Read(ref _leaderTerm);
        return IsLeader && term > 0 && RaftTerm == term ? term : 0;
    }

    /// <summary>The state machine's view of this member (it is given these, the applier chain and the waiters).</summary>
    private MemberCallbacks StateMachineCallbacks() => new(OnApplied, ApplyMembers, InstallMembers, MembersRecord,
        () => Math.Max(1, Members.Count - 1), OnSnapshotInstalled, AppendEmptyEntry, HasDiskRoomFor);
}
