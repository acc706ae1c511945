using System.Diagnostics.Metrics;
using System.Text;
using KvStore.Host.Metrics;
using KvStore.Server;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Host.Tests;

/// <summary>The /metrics registry over a real single member (in process).</summary>
public sealed class EtcdMetricsTests
{
    [Fact]
    public async Task Member_state_and_server_meter_instruments_are_exported_under_etcds_names()
    {
        using var dir = new TempDir();
        var peer = $"http://127.0.0.1:{Ports.Free()}";
        await using var server = await EtcdServer.StartAsync(new ServerConfig
        {
            DataDir = dir.Path,
            ListenPeerUrls = [new(peer)],
            InitialAdvertisePeerUrls = [new(peer)],
            InitialCluster = "default=" + peer,
            QuotaBackendBytes = 1 << 20,
        }, NullLoggerFactory.Instance, CancellationToken.None);
        using var metrics = new EtcdMetrics(server);

        // How the member reports what only it can measure: instruments of the "KvStore.Server" meter. The histogram is one
        // the member itself never records (its WAL records etcd_disk_wal_fsync_duration_seconds whenever it syncs, which
        // made this count 2 plus whatever the member synced meanwhile; ServingTests checks that one from a real member).
        using var meter = new Meter(EtcdMetrics.ServerMeterName);
        var commit = meter.CreateHistogram<double>("etcd_disk_backend_commit_duration_seconds");
        commit.Record(0.003);
        commit.Record(0.5);
        meter.CreateCounter<long>("etcd_server_slow_apply_total").Add(2);
        meter.CreateObservableGauge("etcd_server_snapshot_apply_in_progress_total", () => 1L);

        var text = await ExportAsync(metrics);

        Assert.Contains("\netcd_server_has_leader 1\n", text);
        Assert.Contains("\netcd_server_is_leader 1\n", text);
        Assert.Contains("\netcd_server_quota_backend_bytes 1048576\n", text);
        Assert.Contains($"\netcd_server_id{{server_id=\"{server.MemberId:x}\"}} 1\n", text);
        Assert.Contains("\netcd_disk_backend_commit_duration_seconds_count 2\n", text);
        Assert.Contains("\netcd_disk_backend_commit_duration_seconds_bucket{le=\"0.004\"} 1\n", text);
        Assert.Contains("\netcd_disk_backend_commit_duration_seconds_bucket{le=\"0.512\"} 2\n", text);
        Assert.Contains("\netcd_server_slow_apply_total 2\n", text);
        Assert.Contains("\netcd_server_snapshot_apply_in_progress_total 1\n", text);
    }

    private static async Task<string> ExportAsync(EtcdMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
