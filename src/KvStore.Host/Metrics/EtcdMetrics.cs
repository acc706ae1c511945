using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using KvStore.Server;
using Prometheus;

namespace KvStore.Host.Metrics;

/// <summary>
/// The Prometheus registry served on /metrics, with etcd's metric names: member state read from
/// <see cref="IEtcdServer"/> at each scrape, gRPC counters (go-grpc-prometheus names, filled by
/// <see cref="GrpcMetricsInterceptor"/>), process metrics, and every instrument of the
/// <see cref="ServerMeterName"/> meter under its own name (how the member reports e.g. WAL fsync latency).
/// </summary>
internal sealed class EtcdMetrics : IDisposable
{
    /// <summary>
    /// The <see cref="Meter"/> name whose instruments are exported as they are named: a Histogram&lt;double&gt;
    /// "etcd_disk_wal_fsync_duration_seconds" (seconds) becomes that Prometheus histogram with etcd's buckets;
    /// counters become counters, observable gauges gauges. Tags are not exported.
    /// </summary>
    public const string ServerMeterName = "KvStore.Server";

    // etcd's disk histograms: prometheus.ExponentialBuckets(0.001, 2, 14), 1 ms to 8 s.
    private static readonly double[] DiskBuckets = Histogram.ExponentialBuckets(0.001, 2, 14);

    private readonly IEtcdServer _server;
    private readonly MetricFactory _factory;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, Collector> _bridged = new(StringComparer.Ordinal);

    private readonly Gauge _hasLeader;
    private readonly Gauge _isLeader;
    private readonly Gauge _committed;
    private readonly Gauge _applied;
    private readonly Gauge _pending;
    private readonly Gauge _dbSize;
    private readonly Gauge _quota;
    private readonly Gauge _keys;
    private readonly Gauge _currentRevision;
    private readonly Gauge _compactRevision;
    private readonly Counter _leaderChanges;
    private ulong _lastLeader;

    static EtcdMetrics()
    {
        // Only this registry is served; the default one would otherwise listen to every .NET meter and event counter.
        Prometheus.Metrics.SuppressDefaultMetrics();
    }

    public EtcdMetrics(IEtcdServer server)
    {
        _server = server;
        Registry = Prometheus.Metrics.NewCustomRegistry();
        _factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        // No exemplars (etcd's metrics have none, and the text format does not show them): by default every Inc()
        // looked for a trace context to attach, per gRPC call.
        _factory.ExemplarBehavior = new ExemplarBehavior { DefaultExemplarProvider = null };
        DotNetStats.Register(Registry);

        string[] call = ["grpc_type", "grpc_service", "grpc_method"];
        GrpcStarted = _factory.CreateCounter("grpc_server_started_total", "Total number of RPCs started on the server.", call);
        GrpcHandled = _factory.CreateCounter("grpc_server_handled_total",
            "Total number of RPCs completed on the server, regardless of success or failure.", [.. call, "grpc_code"]);
        GrpcReceived = _factory.CreateCounter("grpc_server_msg_received_total", "Total number of RPC stream messages received on the server.", call);
        GrpcSent = _factory.CreateCounter("grpc_server_msg_sent_total", "Total number of gRPC stream messages sent by the server.", call);

        _hasLeader = _factory.CreateGauge("etcd_server_has_leader", "Whether or not a leader exists. 1 is existence, 0 is not.");
        _isLeader = _factory.CreateGauge("etcd_server_is_leader", "Whether or not this member is a leader. 1 if is, 0 otherwise.");
        _leaderChanges = _factory.CreateCounter("etcd_server_leader_changes_seen_total", "The number of leader changes seen.");
        _committed = _factory.CreateGauge("etcd_server_proposals_committed_total", "The total number of consensus proposals committed.");
        _applied = _factory.CreateGauge("etcd_server_proposals_applied_total", "The total number of consensus proposals applied.");
        _pending = _factory.CreateGauge("etcd_server_proposals_pending", "The current number of pending proposals to commit.");
        _dbSize = _factory.CreateGauge("etcd_mvcc_db_total_size_in_bytes", "Total size of the underlying database physically allocated in bytes.");
        _quota = _factory.CreateGauge("etcd_server_quota_backend_bytes", "Current backend storage quota size in bytes.");
        _keys = _factory.CreateGauge("etcd_debugging_mvcc_keys_total", "Total number of keys.");
        _currentRevision = _factory.CreateGauge("etcd_debugging_mvcc_current_revision", "The current revision of store.");
        _compactRevision = _factory.CreateGauge("etcd_debugging_mvcc_compact_revision", "The revision of the last compaction in store.");
        _factory.CreateGauge("etcd_server_version", "Which version is running. 1 for 'server_version' label with current version.", "server_version")
            .WithLabels(EtcdVersion.Server).Set(1);
        _factory.CreateGauge("etcd_cluster_version", "Which version is running. 1 for 'cluster_version' label with current cluster version",
                "cluster_version")
            .WithLabels(EtcdVersion.Cluster[..EtcdVersion.Cluster.LastIndexOf('.')]).Set(1);
        _factory.CreateGauge("etcd_server_id", "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.", "server_id")
            .WithLabels(server.MemberId.ToString("x", CultureInfo.InvariantCulture)).Set(1);

        // Shown from the start, as etcd does, even before the member reports a measurement.
        _bridged["etcd_disk_wal_fsync_duration_seconds"] =
            DiskHistogram("etcd_disk_wal_fsync_duration_seconds", "The latency distributions of fsync called by WAL.");
        _bridged["etcd_disk_backend_commit_duration_seconds"] =
            DiskHistogram("etcd_disk_backend_commit_duration_seconds", "The latency distributions of commit called by backend.");

        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ServerMeterName && Bridge(instrument) is { } collector)
            {
                listener.EnableMeasurementEvents(instrument, collector);
            }
        };
        _listener.SetMeasurementEventCallback<double>((instrument, value, _, state) => Record(instrument, state, value));
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, state) => Record(instrument, state, value));
        _listener.SetMeasurementEventCallback<int>((instrument, value, _, state) => Record(instrument, state, value));
        _listener.Start();

        Registry.AddBeforeCollectCallback(Refresh);
    }

    public CollectorRegistry Registry { get; }

    public Counter GrpcStarted { get; }

    public Counter GrpcHandled { get; }

    public Counter GrpcReceived { get; }

    public Counter GrpcSent { get; }

    public void Dispose() => _listener.Dispose();

    private void Refresh()
    {
        var leader = _server.LeaderId;
        _hasLeader.Set(leader != 0 ? 1 : 0);
        _isLeader.Set(leader != 0 && leader == _server.MemberId ? 1 : 0);
        if (leader != 0 && leader != Interlocked.Exchange(ref _lastLeader, leader))
        {
            _leaderChanges.Inc();
        }
        var committed = _server.RaftIndex;
        var applied = _server.AppliedIndex;
        _committed.Set(committed);
        _applied.Set(applied);
        _pending.Set(Math.Max(0, committed - applied));
        _dbSize.Set(_server.DbSizeBytes);
        _quota.Set(_server.Config.EffectiveQuotaBytes);
        _keys.Set(_server.KeyCount);
        _currentRevision.Set(_server.CurrentRevision);
        _compactRevision.Set(Math.Max(0, _server.CompactRevision));
        _listener.RecordObservableInstruments();
    }

    private Histogram DiskHistogram(string name, string help) =>
        _factory.CreateHistogram(name, help, new HistogramConfiguration { Buckets = DiskBuckets });

    private Collector? Bridge(Instrument instrument)
    {
        var help = instrument.Description ?? instrument.Name;
        return instrument switch
        {
            Histogram<double> or Histogram<long> or Histogram<int> => _bridged.GetOrAdd(instrument.Name, n => DiskHistogram(n, help)),
            Counter<double> or Counter<long> or Counter<int> or ObservableCounter<double> or ObservableCounter<long> or ObservableCounter<int>
                => _bridged.GetOrAdd(instrument.Name, n => _factory.CreateCounter(n, help)),
            ObservableGauge<double> or ObservableGauge<long> or ObservableGauge<int>
                or UpDownCounter<long> or UpDownCounter<int> or UpDownCounter<double>
                => _bridged.GetOrAdd(instrument.Name, n => _factory.CreateGauge(n, help)),
            _ => null,
        };
    }

    private static void Record(Instrument instrument, object? state, double value)
    {
        switch (state)
        {
            case Histogram histogram:
                histogram.Observe(value);
                break;
            case Counter counter when instrument.IsObservable:
                counter.IncTo(value);
                break;
            case Counter counter:
                counter.Inc(value);
                break;
            case Gauge gauge when instrument.IsObservable:
                gauge.Set(value);
                break;
            case Gauge gauge:
                gauge.Inc(value);
                break;
        }
    }
}
