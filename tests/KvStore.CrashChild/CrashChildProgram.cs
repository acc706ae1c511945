using Etcdserverpb;
using KvStore.Mvcc;
using KvStore.Storage;
using KvStore.Server.Apply;

namespace KvStore.CrashChild;

/// <summary>
/// Plays one Raft member's state machine over a store that may be killed at any moment: every command is
/// appended to the command log and fsynced before it is applied with its log index (etcd's
/// apply-after-commit order). On start it recovers the store, replays every logged command above the
/// store's consistent index, then goes on with new commands until <c>count</c> are applied.
/// Usage: <c>KvStore.CrashChild &lt;data dir&gt; &lt;seed&gt; &lt;count&gt;</c>. Exit code 0 when all are applied.
/// <c>KvStore.CrashChild wal ...</c> is the WAL's crash child (<see cref="WalChild"/>).
/// </summary>
public static class CrashChildProgram
{
    /// <summary>Every this many commands the child takes an explicit checkpoint and waits for it.</summary>
    public const int ExplicitCheckpointEvery = 97;

    /// <summary>Every this many commands the child prints <c>applied N</c>.</summary>
    public const int ProgressEvery = 25;

    public static string LogPath(string dataDir) => Path.Combine(dataDir, "commands.log");

    /// <summary>
    /// Store options with tiny thresholds so a run takes many background checkpoints (by size and by time),
    /// spills the log to disk and compacts it.
    /// </summary>
    public static MvccOptions StoreOptions(string dataDir)
    {
        string engine = Path.Combine(dataDir, "engine");
        return new MvccOptions
        {
            Directory = engine,
            CheckpointBytes = 64 << 10,
            CheckpointInterval = TimeSpan.FromMilliseconds(50),
            LogCompactionMinBytes = 512 << 10,
            Storage = new StorageOptions
            {
                Directory = engine,
                IndexBuckets = 1 << 12,
                MemorySizeBits = 20,
                PageSizeBits = 16,
                SegmentSizeBits = 18,
            },
        };
    }

    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "wal") return WalChild.Run(args[1..]);
        if (args.Length != 3 || !int.TryParse(args[1], out int seed) || !long.TryParse(args[2], out long count))
        {
            Console.Error.WriteLine("usage: KvStore.CrashChild <data dir> <seed> <count>");
            return 2;
        }
        string dataDir = args[0];
        Directory.CreateDirectory(dataDir);

        using MvccStore store = MvccStore.Open(StoreOptions(dataDir));
        using CommandLog log = CommandLog.Open(LogPath(dataDir));
        long recovered = store.ConsistentIndex;
        Say($"open consistent_index={recovered} logged={log.LastIndex} revision={store.CurrentRevision}");
        if (recovered > log.LastIndex)
        {
            Say($"error: store applied index {recovered} beyond the log's last index {log.LastIndex}");
            return 3;
        }

        // Replay what the log has and the store lost (everything after its last durable checkpoint).
        for (long index = recovered + 1; index <= log.LastIndex; index++)
        {
            ApplyResult r = store.Apply(index, log.Entries[(int)index - 1]);
            if (r.Error == MvccError.AlreadyApplied) return Fail($"replayed index {index} reported AlreadyApplied");
        }
        Say($"replayed {log.LastIndex - recovered} revision={store.CurrentRevision}");

        long next = log.LastIndex + 1;
        var generator = new CommandGenerator(seed);
        for (long i = 1; i < next; i++) generator.Next(); // the logged prefix of the same stream
        for (long index = next; index <= count; index++)
        {
            InternalRaftRequest command = generator.Next();
            if (log.Append(command) != index) return Fail($"log index mismatch at {index}");
            ApplyResult r = store.Apply(index, command);
            if (r.Error == MvccError.AlreadyApplied) return Fail($"new index {index} reported AlreadyApplied");
            if (index % ExplicitCheckpointEvery == 0) store.CheckpointAsync().GetAwaiter().GetResult();
            if (index % ProgressEvery == 0) Say($"applied {index}");
        }
        Say($"done consistent_index={store.ConsistentIndex} revision={store.CurrentRevision}");
        return 0;
    }

    /// <summary>Prints <c>error: message</c> (the tests fail on it) and returns the child's exit code for it.</summary>
    internal static int Fail(string message)
    {
        Say("error: " + message);
        return 3;
    }

    /// <summary>One line of the child's protocol on stdout, flushed at once (a kill may follow).</summary>
    internal static void Say(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }
}
