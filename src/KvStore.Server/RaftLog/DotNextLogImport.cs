using System.Buffers;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging;

namespace KvStore.Server;

/// <summary>
/// Moves a data dir written by DotNext's WriteAheadLog (kvstore before its own WAL: <c>wal/checkpoint</c>,
/// <c>wal/metadata/</c>, <c>wal/data/</c>) to <see cref="RaftLog"/>'s segments, once, at open: the entries after the
/// state machine's snapshot and the commit index are written to <c>log.tmp/</c>, synced, renamed to <c>log/</c>, and only
/// then are the old files deleted; <c>wal/state</c> (term and vote) stays. A crash before the rename leaves the old log,
/// which the next start imports again. RaftLogImportTests hold it.
/// </summary>
internal static partial class DotNextLogImport
{
    /// <summary>DotNext's page size the old log was written with (EtcdServer's WriteAheadLog options).</summary>
    public const int ChunkSize = 512 * 1024;

    /// <summary>True when <paramref name="directory"/> holds DotNext's log and not ours yet.</summary>
    public static bool Needed(string directory) =>
        File.Exists(Path.Combine(directory, "checkpoint")) && Directory.Exists(Path.Combine(directory, "metadata"))
        && !Directory.Exists(Path.Combine(directory, "log"));

    public static async Task RunAsync(string directory, RaftStateMachine stateMachine, ILogger logger, CancellationToken token)
    {
        ISnapshot? snapshot = stateMachine.Snapshot;
        long snapshotIndex = snapshot?.Index ?? 0, snapshotTerm = snapshot?.Term ?? 0;
        string temp = Path.Combine(directory, "log.tmp");
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        long last, commit;
        var old = new WriteAheadLog(new WriteAheadLog.Options { Location = directory, ChunkSize = ChunkSize },
            new LogShellStateMachine(stateMachine.Version, snapshot));
        await using (old.ConfigureAwait(false))
        {
            last = old.LastEntryIndex;
            commit = old.LastCommittedEntryIndex;
            using var wal = KvStore.Wal.Wal.Open(new KvStore.Wal.WalOptions(temp, logger));
            wal.ResetAfterSnapshot(snapshotIndex, snapshotTerm);
            if (last > snapshotIndex)
            {
                using var entries = await old.ReadAsync(snapshotIndex + 1, last, token).ConfigureAwait(false);
                foreach (LogEntry entry in entries)
                {
                    byte[] payload = entry.TryGetPayload(out ReadOnlySequence<byte> bytes) ? bytes.ToArray()
                        : [.. entry.GetPayload().SelectMany(part => part.ToArray())];
                    wal.Append(entry.Term, payload, entry.IsConfiguration, null);
                }
            }
            wal.NoteCommit(Math.Min(commit, Math.Max(last, snapshotIndex)));
            await wal.WaitDurableAsync(Math.Max(last, snapshotIndex), token).ConfigureAwait(false);
        }
        string target = Path.Combine(directory, "log");
        Directory.Move(temp, target);
        Snapshots.SnapshotFile.FsyncDirectory(directory);
        File.Delete(Path.Combine(directory, "checkpoint"));
        Directory.Delete(Path.Combine(directory, "metadata"), recursive: true);
        Directory.Delete(Path.Combine(directory, "data"), recursive: true);
        Log.Imported(logger, directory, snapshotIndex + 1, last, commit);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning,
            Message = "raft log at {Directory} was written by an older kvstore: imported entries {First}-{Last} (committed through {Commit})")]
        public static partial void Imported(ILogger logger, string directory, long first, long last, long commit);
    }
}
