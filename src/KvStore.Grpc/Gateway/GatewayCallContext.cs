using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace KvStore.Grpc.Gateway;

/// <summary>
/// The gRPC call context of a gateway request. Metadata comes from the HTTP headers as grpc-gateway maps them
/// ("Grpc-Metadata-Foo: v" is "foo: v", Authorization passes as "authorization"); the call is cancelled when the
/// HTTP client goes away. Response headers a service sends are returned as "Grpc-Metadata-" headers.
/// </summary>
internal sealed class GatewayCallContext : ServerCallContext
{
    private const string MetadataPrefix = "Grpc-Metadata-";

    private readonly HttpContext _http;
    private readonly string _method;

    public GatewayCallContext(HttpContext http, string method)
    {
        _http = http;
        _method = method;
        RequestHeadersCore = IncomingMetadata(http.Request.Headers);
        UserState[CancellableCallContext.HttpContextKey] = http; // what grpc-dotnet's GetHttpContext() looks up for a context of its own kind
    }

    /// <summary>Headers the service sent with WriteResponseHeadersAsync, or null.</summary>
    public Metadata? SentHeaders { get; private set; }

    protected override string MethodCore => _method;
    protected override string HostCore => _http.Request.Host.Value ?? "";
    protected override string PeerCore => PeerName(_http.Connection.RemoteIpAddress, _http.Connection.RemotePort);
    protected override DateTime DeadlineCore => DateTime.MaxValue;
    protected override Metadata RequestHeadersCore { get; }
    protected override CancellationToken CancellationTokenCore => _http.RequestAborted;
    protected override Metadata ResponseTrailersCore { get; } = [];
    protected override Status StatusCore { get; set; }
    protected override WriteOptions? WriteOptionsCore { get; set; }
    protected override AuthContext AuthContextCore { get; } = new(null, new Dictionary<string, List<AuthProperty>>());

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException("a gateway call cannot be propagated");

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders)
    {
        if (SentHeaders is not null) throw new InvalidOperationException("Response headers can only be sent once per call.");
        SentHeaders = responseHeaders;
        return Task.CompletedTask;
    }

    /// <summary>Adds the response metadata as grpc-gateway does, content-type first as a gRPC server sends it.</summary>
    public void AddResponseHeaders(IHeaderDictionary headers)
    {
        headers["Grpc-Metadata-Content-Type"] = "application/grpc";
        if (SentHeaders is null) return;
        foreach (Metadata.Entry entry in SentHeaders)
        {
            string value = entry.IsBinary ? Convert.ToBase64String(entry.ValueBytes) : entry.Value;
            headers.Append(MetadataPrefix + entry.Key, value);
        }
    }

    private static Metadata IncomingMetadata(IHeaderDictionary headers)
    {
        var metadata = new Metadata();
        foreach ((string name, Microsoft.Extensions.Primitives.StringValues values) in headers)
        {
            string? key = null;
            if (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase)) key = "authorization";
            else if (name.StartsWith(MetadataPrefix, StringComparison.OrdinalIgnoreCase)) key = name[MetadataPrefix.Length..].ToLowerInvariant();
            if (string.IsNullOrEmpty(key)) continue;
            foreach (string? value in values)
            {
                if (value is null) continue;
                try
                {
                    if (key.EndsWith(Metadata.BinaryHeaderSuffix, StringComparison.Ordinal)) metadata.Add(key, Convert.FromBase64String(value));
                    else metadata.Add(key, value);
                }
                catch (Exception e) when (e is ArgumentException or FormatException)
                {
                    // a header that is no valid metadata (grpc-go would refuse the call); left out
                }
            }
        }
        return metadata;
    }

    /// <summary>The peer as grpc-dotnet names it: "ipv4:127.0.0.1:1234", "ipv6:[::1]:1234".</summary>
    private static string PeerName(IPAddress? address, int port) => address switch
    {
        null => "unknown",
        { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } => $"ipv6:[{address}]:{port}",
        _ => $"ipv4:{address}:{port}",
    };
}
