using DotNext.Net.Cluster.Consensus.Raft;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;
using KvStore.Server.Apply;
using Kvstorepb;

namespace KvStore.Server;

public sealed partial class EtcdServer
{
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

    /// <summary>
    /// Replicates one command and answers the engine's result once it is committed and applied here; the caller's
    /// user travels in the command's header (etcd's processInternalRaftRequestOnce).
    /// </summary>
    public async Task<ProposeResult> ProposeAsync(InternalRaftRequest request, Caller caller, CancellationToken cancellationToken)
    {
        if (_disposed) return new ProposeResult(null, Error: ServerError.Stopped);
        if (request.CalculateSize() > Config.MaxRequestBytes) return new ProposeResult(null, Error: ServerError.RequestTooLarge);
        if (!_quota.Admits(request))
        {
            await _quota.NoSpaceRaisedAsync(cancellationToken).ConfigureAwait(false);
            return new ProposeResult(null, Error: ServerError.NoSpace);
        }

        // etcd's processInternalRaftRequestOnce: the user of the call's token travels in the header.
        if (caller.Error != MvccError.None) return new ProposeResult(null, caller.Error);
        AuthInfo? auth = caller.Auth;
        ulong id = NextRequestId();
        request.Header = new RequestHeader { ID = id, Username = auth?.Username ?? "", AuthRevision = auth?.Revision ?? 0 };
        // No timer per request: the registry's sweeper answers "request timed out" once the deadline passed.
        TaskCompletionSource<ProposeResult> waiter = _waiters.Register(id, Environment.TickCount64 + (long)RequestTimeout.TotalMilliseconds);
        // A follower hands the command to the leader (Forwarder); the leader batches it into the log (Proposer).
        _proposer.Submit(request);
        try
        {
            ProposeResult result = cancellationToken.CanBeCanceled
                ? await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false)
                : await waiter.Task.ConfigureAwait(false);
            // etcd's applyEntryNormal answers a write that found no room at apply once the NOSPACE alarm is raised
            if (result.Error == ServerError.NoSpace) await _quota.NoSpaceRaisedAsync(cancellationToken).ConfigureAwait(false);
            return result;
        }
        finally
        {
            _waiters.Remove(id);
        }
    }

    /// <summary>Appends an entry without commands when this member leads (<see cref="Replication.LeaderLog.AppendEmpty"/>).</summary>
    internal void AppendEmptyEntry() => _leaderLog.AppendEmpty();

    /// <summary>The state machine's view of this member (it is given these, the applier chain and the waiters).</summary>
    private MemberCallbacks StateMachineCallbacks() => new(OnApplied, ApplyMembers, InstallMembers, MembersRecord,
        () => Math.Max(1, Members.Count - 1), OnSnapshotInstalled, AppendEmptyEntry, HasDiskRoomFor);
}
