using System.Diagnostics.Metrics;

namespace KvStore.Server;

/// <summary>
/// The member's own instruments, on the "KvStore.Server" meter under etcd's metric names (the host exports
/// them as they are named). The Raft log reports each fdatasync as etcd's etcd_disk_wal_fsync_duration_seconds.
/// </summary>
public static class ServerMetrics
{
    public const string MeterName = "KvStore.Server";

    private static readonly Meter ServerMeter = new(MeterName);

    private static readonly Histogram<double> WalFsync = ServerMeter.CreateHistogram<double>(
        "etcd_disk_wal_fsync_duration_seconds", unit: "s", description: "The latency distributions of fsync called by WAL.");

    /// <summary>Records one WAL fdatasync (the log's writer thread calls it after each group commit).</summary>
    public static void RecordWalFsync(double seconds) => WalFsync.Record(seconds);
}
