using System.Collections;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace KvStore.Server;

/// <summary>The log's reads for replication: entries by index, the state machine's snapshot first when it covers the start.</summary>
internal sealed partial class RaftLog
{
    /// <summary>
    /// DotNext's contract (its LogEntryList): when the reported snapshot's index is at least <paramref name="startIndex"/>,
    /// the list starts with the snapshot and goes on after it, up to max(end, snapshot); a term read below the snapshot
    /// therefore gets the snapshot's term. A metadata-only reader (a term lookup) never reads a payload.
    /// </summary>
    ValueTask<TResult> IAuditTrail<IRaftLogEntry>.ReadAsync<TResult>(ILogEntryConsumer<IRaftLogEntry, TResult> reader, long startIndex,
        long endIndex, CancellationToken token)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startIndex);
        if (endIndex < 0 || endIndex > _wal.LastIndex) return ValueTask.FromException<TResult>(new ArgumentOutOfRangeException(nameof(endIndex)));
        if (startIndex > endIndex) return reader.ReadAsync<IRaftLogEntry, IRaftLogEntry[]>([], null, token);
        ISnapshot? snapshot = _stateMachine.Snapshot;
        if (snapshot is not null && snapshot.Index >= startIndex)
        {
            var list = new EntryList(_wal, snapshot, snapshot.Index + 1, Math.Max(endIndex, snapshot.Index), reader.LogEntryMetadataOnly);
            return reader.ReadAsync<IRaftLogEntry, EntryList>(list, snapshot.Index, token);
        }
        return reader.ReadAsync<IRaftLogEntry, EntryList>(new EntryList(_wal, null, startIndex, endIndex, reader.LogEntryMetadataOnly), null, token);
    }

    /// <summary>[snapshot,] first..last, each entry read from the WAL (its tail cache, else disk) when the list is indexed.</summary>
    private sealed class EntryList(KvStore.Wal.Wal wal, ISnapshot? snapshot, long first, long last, bool metadataOnly)
        : IReadOnlyList<IRaftLogEntry>
    {
        private int Offset => snapshot is null ? 0 : 1;

        public int Count => checked((int)(last - first + 1) + Offset);

        public IRaftLogEntry this[int index]
        {
            get
            {
                ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
                if (index < Offset) return snapshot!;
                long at = first + index - Offset;
                return metadataOnly ? new WalLogEntry(new KvStore.Wal.WalEntry(at, wal.TermAt(at), false, ReadOnlyMemory<byte>.Empty, null))
                    : new WalLogEntry(wal.Read(at));
            }
        }

        public IEnumerator<IRaftLogEntry> GetEnumerator()
        {
            for (int i = 0; i < Count; i++) yield return this[i];
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
