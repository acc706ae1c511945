using System.Buffers;
using System.Runtime.InteropServices;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;
using KvStore.Server.Apply;
using KvStore.Server.Snapshots;
using Kvstorepb;
using Microsoft.Extensions.Logging;

namespace KvStore.Server;

/// <summary>
/// Applies committed Raft entries to the engine, in log order, on every member (etcd's apply loop). Each
/// entry is a <see cref="RaftBatch"/>; command k of entry i is applied with engine index (i &lt;&lt; 16) | k, so
/// the engine's consistent index pins the exact command and a replay after a crash skips what was applied.
/// Never throws for a business outcome: an exception here would stop DotNext's applier for good.
/// Snapshots and log compaction: RaftStateMachine.Snapshots.cs.
/// </summary>
internal sealed partial class RaftStateMachine : IStateMachine
{
    private readonly IApplier _applier;
    private readonly WaitRegistry _waiters;
    private readonly MvccStore _store;
    private readonly AlarmStore _alarms;
    private readonly Access.AuthStore _auth;
    private readonly MemberCallbacks _member;
    private readonly ILogger _logger;
    private readonly string _snapshotDirectory;
    private readonly long _snapshotCount;
    private readonly Lock _snapshotLock = new();
    private EngineSnapshot? _snapshot; // reported to DotNext; guarded by _snapshotLock for writes; read without it
    private readonly Queue<(long Index, long Term)> _taken = new(); // taken after _snapshot, not yet reported; _snapshotLock
    private readonly long _catchUpEntries;
    private long _commandsSinceSnapshot; // apply loop only
    private Task _snapshotTask = Task.CompletedTask; // apply loop only
    private volatile bool _snapshotWanted; // set by a snapshot transfer, read by the apply loop
    private Task _pendingRestore = Task.CompletedTask; // an installed snapshot being restored into the engine

    public RaftStateMachine(IApplier applier, WaitRegistry waiters, MvccStore store, AlarmStore alarms, Access.AuthStore auth,
        MemberCallbacks member, ServerConfig config, string snapshotDirectory, ILogger logger)
    {
        _applier = applier;
        _waiters = waiters;
        _store = store;
        _alarms = alarms;
        _auth = auth;
        _member = member;
        _logger = logger;
        _snapshotDirectory = snapshotDirectory;
        _snapshotCount = Math.Max(1, config.SnapshotCount);
        _catchUpEntries = Math.Max(0, config.SnapshotCatchUpEntries);
        _snapshot = LoadSnapshot();
    }

    /// <summary>Commands per Raft entry are numbered within 16 bits of the engine index.</summary>
    public const int MaxBatch = 1 << 16;

    public static long EngineIndex(long raftIndex, int position) => (raftIndex << 16) | (uint)position;

    public static long RaftIndex(long engineIndex) => engineIndex >> 16;

    /// <summary>The raft index of the last command the engine holds (its consistent index): a log replays at least to it.</summary>
    public long EngineRaftIndex => RaftIndex(_store.ConsistentIndex);

    /// <summary>Protobuf nesting allowed when reading an entry: a client's 100 plus the batch's wrapping.</summary>
    private const int RecursionLimit = 110;

    public int Version => 1;

    /// <summary>
    /// DotNext's log calls this: hands the entry to the apply core as a <see cref="RaftEntry"/> over the log's own memory
    /// (a payload split across the log's pages is joined only on a member that did not propose it, as the parse did).
    /// </summary>
    public ValueTask<long> ApplyAsync(LogEntry entry, CancellationToken token)
    {
        if (entry.IsSnapshot) return InstallSnapshotAsync(entry, entry.Index, token);
        ReadOnlyMemory<byte> payload = !entry.TryGetPayload(out var p) ? Concat(entry.GetPayload())
            : p.IsSingleSegment ? p.First : ProposedBatch.SameBytes(p, entry.Context) ?? p.ToArray();
        return ApplyAsync(new RaftEntry(entry.Index, entry.Term, entry.IsConfiguration, entry.Context, payload), token);
    }

    /// <summary>
    /// The apply core, for any log: applies the commands of one committed entry and returns its index, the applied index.
    /// Tested with <see cref="RaftEntry"/> values by RaftStateMachineCoreTests, and through the DotNext adapter by every cluster test.
    /// </summary>
    public ValueTask<long> ApplyAsync(in RaftEntry entry, CancellationToken token)
    {
        if (!_pendingRestore.IsCompleted) return ApplyAfterRestoreAsync(entry, token);
        if (entry.IsConfiguration) return ValueTask.FromResult(entry.Index);
        if ((ProposedBatch.Match(entry.Payload.Span, entry.Context) ?? Parse(entry)) is not { } batch)
        {
            _member.Applied(entry.Index);
            CountForSnapshot(entry.Index, entry.Term, 0);
            return ValueTask.FromResult(entry.Index);
        }
        if (batch.Members is { } members) _member.ApplyMembers(entry.Index, members);
        long nowMs = Environment.TickCount64;
        for (int k = 0; k < batch.Requests.Count; k++)
        {
            InternalRaftRequest request = batch.Requests[k];
            ProposeResult result;
            try
            {
                result = _applier.Apply(EngineIndex(entry.Index, k), request, nowMs).ToProposeResult();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A bug, not an outcome: report it to the waiting client and keep the applier alive.
                Log.ApplyFailed(_logger, entry.Index, k, e);
                _waiters.Fail(request.Header?.ID ?? 0, e);
                continue;
            }
            _waiters.Complete(request.Header?.ID ?? 0, result);
        }
        _member.Applied(entry.Index);
        CountForSnapshot(entry.Index, entry.Term, batch.Requests.Count);
        return ValueTask.FromResult(entry.Index);
    }

    /// <summary>The entry's batch; null for an entry that is not ours (e.g. a no-op appended by the library).</summary>
    private RaftBatch? Parse(in RaftEntry entry)
    {
        ReadOnlyMemory<byte> payload = entry.Payload;
        try
        {
            // An array-backed payload is read in place; other memory (a mapped page) is copied once.
            Stream stream = MemoryMarshal.TryGetArray(payload, out ArraySegment<byte> array)
                ? new MemoryStream(array.Array!, array.Offset, array.Count, writable: false)
                : new MemoryStream(payload.ToArray(), writable: false);
            // The batch wraps each client request two messages deep: allow the client's own nesting limit (100) on top.
            var input = CodedInputStream.CreateWithLimits(stream, payload.Length + 1, RecursionLimit);
            return RaftBatch.Parser.ParseFrom(input);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidOperationException)
        {
            if (payload.Length > 0) Log.UnreadableEntry(_logger, entry.Index, e);
            return null;
        }
    }

    private static byte[] Concat(IEnumerable<ReadOnlyMemory<byte>> parts)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (ReadOnlyMemory<byte> part in parts) buffer.Write(part.Span);
        return buffer.WrittenSpan.ToArray();
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "raft entry {Index} is not a command batch")]
        public static partial void UnreadableEntry(ILogger logger, long index, Exception e);

        [LoggerMessage(Level = LogLevel.Critical, Message = "applying command {Position} of raft entry {Index} failed")]
        public static partial void ApplyFailed(ILogger logger, long index, int position, Exception e);
    }
}
