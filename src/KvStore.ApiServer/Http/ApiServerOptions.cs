namespace KvStore.ApiServer.Http;

/// <summary>The facade's settings (kube-apiserver's flags of the same names).</summary>
public sealed record ApiServerOptions
{
    /// <summary>Where to serve the REST API, e.g. https://127.0.0.1:6443 or http://127.0.0.1:8080 (port 0: any free port).</summary>
    public Uri ListenUrl { get; init; } = new("http://127.0.0.1:8080");

    /// <summary>--event-ttl: events are stored with a lease of this TTL (kube's default 1h).</summary>
    public TimeSpan EventTtl { get; init; } = TimeSpan.FromHours(1);

    /// <summary>--service-cluster-ip-range: ClusterIPs are allocated from this IPv4 CIDR; its first address is the
    /// `kubernetes` service's.</summary>
    public string ServiceClusterIpRange { get; init; } = "10.96.0.0/12";

    /// <summary>--service-node-port-range: node ports of NodePort and LoadBalancer services are allocated from this range.</summary>
    public string ServiceNodePortRange { get; init; } = NodePortRange.Default;

    /// <summary>kube-apiserver's --etcd-compaction-interval (5m); zero disables compaction.</summary>
    public TimeSpan CompactionInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>TLS serving (an https <see cref="ListenUrl"/>) and client authentication.</summary>
    public Security.ApiServerSecurityOptions Security { get; init; } = new();
}
