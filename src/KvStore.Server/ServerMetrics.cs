using System.Diagnostics.Metrics;

namespace KvStore.Server;

/// <summary>
/// The member's own instruments, on the "KvStore.Server" meter under etcd's metric names (the host exports
/// them as they are named). DotNext's WAL reports each flush to disk (write + fsync) in milliseconds; it is
/// re-recorded here in seconds as etcd's etcd_disk_wal_fsync_duration_seconds.
/// </summary>
public static class ServerMetrics
{
    public const string MeterName = "KvStore.Server";

    private static readonly Meter ServerMeter = new(MeterName);

    private static readonly Histogram<double> WalFsync = ServerMeter.CreateHistogram<double>(
        "etcd_disk_wal_fsync_duration_seconds", unit: "s", description: "The latency distributions of fsync called by WAL.");

    private static readonly MeterListener WalListener = StartWalListener();

    /// <summary>Makes sure the WAL bridge is listening (idempotent).</summary>
    public static void EnsureStarted() => GC.KeepAlive(WalListener);

    private static MeterListener StartWalListener()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "DotNext.IO.WriteAheadLog"
                    && instrument.Name == "entries-flush-duration") l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<double>((_, milliseconds, _, _) => WalFsync.Record(milliseconds / 1000.0));
        listener.Start();
        return listener;
    }
}
