using System.Net;
using Grpc.Net.Client;

namespace KvStore.KvBench;

/// <summary>
/// The benchmark's connections: <c>--conns</c> gRPC channels, each with its own <see cref="SocketsHttpHandler"/>
/// (so its own HTTP/2 connection), assigned to the endpoints round-robin; client i uses channel i mod conns,
/// as etcd's benchmark shares its connections among its clients.
/// </summary>
internal sealed class Connections : IDisposable
{
    private readonly GrpcChannel[] channels;

    private Connections(GrpcChannel[] channels) => this.channels = channels;

    public int Count => channels.Length;

    /// <summary>Opens <paramref name="conns"/> channels; http:// endpoints speak HTTP/2 with prior knowledge (h2c).</summary>
    public static Connections Open(IReadOnlyList<Uri> endpoints, int conns)
    {
        var channels = new GrpcChannel[conns];
        for (var i = 0; i < conns; i++)
        {
            channels[i] = OpenChannel(endpoints[i % endpoints.Count]);
        }

        return new Connections(channels);
    }

    public static GrpcChannel OpenChannel(Uri endpoint)
    {
        var handler = new SocketsHttpHandler
        {
            // A server that limits concurrent streams (Kestrel: 100) gets a further connection rather than a queue.
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        };
        return GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
        });
    }

    public GrpcChannel ForClient(int client) => channels[client % channels.Length];

    public IEnumerable<GrpcChannel> All => channels;

    public void Dispose()
    {
        foreach (var channel in channels)
        {
            channel.Dispose();
        }
    }

    /// <summary>Parses etcd's comma-separated <c>--endpoints</c>; a bare host:port means http://host:port.</summary>
    public static IReadOnlyList<Uri> ParseEndpoints(string value)
    {
        var list = new List<Uri>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var text = part.Contains("://", StringComparison.Ordinal) ? part : "http://" + part;
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            {
                throw new UsageException($"invalid endpoint \"{part}\": want http://host:port or https://host:port");
            }

            list.Add(uri);
        }

        return list.Count > 0 ? list : throw new UsageException("--endpoints is empty");
    }
}
