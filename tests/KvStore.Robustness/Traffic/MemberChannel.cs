using System.Net;
using Grpc.Net.Client;
using Rpc = Etcdserverpb;

namespace KvStore.Robustness.Traffic;

/// <summary>
/// One gRPC channel (its own HTTP/2 connection) to one member's client URL and etcd's service clients over it.
/// A killed member's channel reconnects by itself once the member serves again.
/// </summary>
public sealed class MemberChannel : IDisposable
{
    private readonly GrpcChannel _channel;

    public MemberChannel(int member, string url)
    {
        Member = member;
        Url = url;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(1),
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        };
        _channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        Kv = new Rpc.KV.KVClient(_channel);
        Lease = new Rpc.Lease.LeaseClient(_channel);
        Watch = new Rpc.Watch.WatchClient(_channel);
        Maintenance = new Rpc.Maintenance.MaintenanceClient(_channel);
    }

    /// <summary>The member's index in its cluster.</summary>
    public int Member { get; }

    public string Url { get; }

    public Rpc.KV.KVClient Kv { get; }

    public Rpc.Lease.LeaseClient Lease { get; }

    public Rpc.Watch.WatchClient Watch { get; }

    public Rpc.Maintenance.MaintenanceClient Maintenance { get; }

    public void Dispose() => _channel.Dispose();
}
