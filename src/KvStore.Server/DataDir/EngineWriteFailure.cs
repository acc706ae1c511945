using Microsoft.Extensions.Logging;

namespace KvStore.Server.DataDir;

/// <summary>
/// Stops the member when a write to the engine's files fails (a full disk, an IO error), as etcd stops on a failed
/// backend commit. FASTER never writes the failed data again, so no checkpoint (a raft snapshot, a snapshot install, a
/// clean close) could ever finish and the apply loop would wait for good; the next start recovers the last durable
/// checkpoint and replays the WAL, which holds every acknowledged write. Tested by
/// DiskFullTests.MemberWhoseEngineCannotWriteStopsAndRecoversAfterARestart (KvStore.Cluster.Tests).
/// </summary>
internal static partial class EngineWriteFailure
{
    public static void StopOnFailure(Task<IOException> writeFailed, ILogger logger) =>
        writeFailed.ContinueWith(t => Stop(logger, t.Result), CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);

    private static void Stop(ILogger logger, IOException e)
    {
        Log.Stopping(logger, e.Message);
        Environment.FailFast($"{e.Message}; stopping: a restart recovers the engine's last checkpoint and replays the WAL");
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Critical, Message = "{Error}; stopping: a restart recovers the engine's last checkpoint and replays the WAL")]
        public static partial void Stopping(ILogger logger, string error);
    }
}
