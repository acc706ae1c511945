using System.Buffers.Binary;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Mvcc;
using Kvstorepb;

namespace KvStore.Server.Snapshots;

/// <summary>
/// The Raft snapshot DotNext sees: an index and term whose state the engine's durable checkpoint holds. Its
/// payload, read only when the leader installs it on a member that is behind, is a fresh
/// <see cref="MvccStore.Export"/> of the live engine, so it holds the state at some applied index at or after
/// <see cref="Index"/> (a "fuzzy" snapshot): the receiver restores it with that later consistent index and
/// skips the commands at or below it when the leader sends the entries after <see cref="Index"/>.
/// Payload: <see cref="PayloadMagic"/>, the member's alarms (<see cref="SnapshotFile.EncodeAlarms"/>), the member
/// record (a 4-byte little-endian length, then <see cref="ClusterMembers"/>; a member that installs a snapshot
/// never sees the membership entries it covers), then the engine export.
/// </summary>
internal sealed class EngineSnapshot(long index, long term, MvccStore store, string directory,
    Func<IReadOnlyList<AlarmMember>> alarms, Func<ClusterMembers> members, Action onResend, Func<Task> restored, Func<int> followers) : ISnapshot
{
    private int _sends;

    public static ReadOnlySpan<byte> PayloadMagic => "KVRPAY02"u8;

    public long Index { get; } = index;

    public long Term { get; } = term;

    bool IDataTransferObject.IsReusable => true;

    long? IDataTransferObject.Length => null; // streamed in frames: the size is known only once exported

    async ValueTask IDataTransferObject.WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
    {
        // The export holds the engine's read lock (the apply loop waits) while it writes to a local file; the
        // slow network copy then runs without the lock. The file is gone once closed.
        // Sent more often than there are followers: some member was sent it again, having installed it already
        // while the leader's request timed out (see RaftStateMachine.OnSnapshotResent); ask for a newer one. Not at
        // the second send: two members catching up at once each get it once, and a newer one would drop the log
        // both need next and send them snapshot after snapshot (a long robustness run, 5 members, re-add + restart).
        if (Interlocked.Increment(ref _sends) > followers()) onResend();
        // Installed here but not yet restored into the engine: the export must hold that state, not the one before.
        await restored().ConfigureAwait(false);
        string path = Path.Combine(directory, $"export-{Guid.NewGuid():N}.tmp");
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16,
            FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        await using (file.ConfigureAwait(false))
        {
            file.Write(PayloadMagic);
            file.Write(SnapshotFile.EncodeAlarms(alarms()));
            // Read before the export, which holds the state at this record's index or later: the membership entries
            // after it that the member is sent next apply on top (a record applies only if newer).
            byte[] record = members().ToByteArray();
            var length = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(length, record.Length);
            file.Write(length);
            file.Write(record);
            await Task.Run(() => store.Export(file), token).ConfigureAwait(false);
            file.Position = 0;
            await writer.CopyFromAsync(file, count: null, token).ConfigureAwait(false);
        }
    }
}
