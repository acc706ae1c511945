using System.IO.Pipelines;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KvStore.Grpc.Decoding;

/// <summary>
/// Where a request meets etcd's gRPC server before any service code, answered as etcd 3.4 answers it: HTTP/1.x to a
/// gRPC path is Go's 404 (etcd's cmux hands it to the HTTP mux), an HTTP/2 request that is not application/grpc is a
/// stream reset (PROTOCOL_ERROR) on a plain port and Go's 404 over TLS (where etcd routes by content type), the body
/// goes through <see cref="GrpcFrameReader"/>, and an unknown service or method is grpc-go's Unimplemented text.
/// Tests: the "gRPC:", "socket:" and "tls:" rows of the hostile-input matrix.
/// </summary>
internal static class EtcdGrpcEdge
{
    private const int ProtocolError = 1;

    /// <summary>Wraps each endpoint of a mapped etcd service.</summary>
    public static void Wrap(EndpointBuilder endpoint)
    {
        RequestDelegate inner = endpoint.RequestDelegate ?? throw new InvalidOperationException($"{endpoint.DisplayName} has no handler");
        var method = endpoint.Metadata.OfType<GrpcMethodMetadata>().Single().Method;
        endpoint.RequestDelegate = http =>
        {
            if (Refused(http) is { } refused) return refused;
            string encoding = http.Request.Headers["grpc-encoding"].ToString();
            var body = new GrpcFrameReader(http.Request.BodyReader, MaxMessageBytes(http), method.Type == MethodType.Unary,
                compressionNegotiated: encoding.Length > 0 && encoding != "identity");
            http.Features.Set<IRequestBodyPipeFeature>(new BodyFeature(body));
            return inner(http);
        };
    }

    /// <summary>The fallback for a gRPC call to a path no service serves: grpc-go's unknown service or method.</summary>
    public static Task UnknownAsync(HttpContext http, IReadOnlySet<string> services)
    {
        if (Refused(http) is { } refused) return refused;
        string service = http.Request.RouteValues["service"]?.ToString() ?? "";
        string method = http.Request.RouteValues["method"]?.ToString() ?? "";
        string message = services.Contains(service) ? $"unknown method {method} for service {service}" : $"unknown service {service}";
        http.Response.ContentType = "application/grpc";
        http.Response.Headers["grpc-status"] = ((int)StatusCode.Unimplemented).ToString(System.Globalization.CultureInfo.InvariantCulture);
        http.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
        return Task.CompletedTask;
    }

    /// <summary>An answer for a request that never reaches grpc-go, or null.</summary>
    private static Task? Refused(HttpContext http)
    {
        if (!HttpProtocol.IsHttp2(http.Request.Protocol)) return NotFoundAsync(http);
        if (!http.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) ?? true)
        {
            if (http.Request.IsHttps) return NotFoundAsync(http);
            http.Features.Get<IHttpResetFeature>()?.Reset(ProtocolError);
            return Task.CompletedTask;
        }
        return null;
    }

    /// <summary>Go's http.NotFound.</summary>
    private static Task NotFoundAsync(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status404NotFound;
        http.Response.ContentType = "text/plain; charset=utf-8";
        http.Response.Headers["X-Content-Type-Options"] = "nosniff";
        const string text = "404 page not found\n";
        http.Response.ContentLength = text.Length;
        return http.Response.WriteAsync(text, http.RequestAborted);
    }

    private static int MaxMessageBytes(HttpContext http) =>
        http.RequestServices.GetRequiredService<IOptions<GrpcServiceOptions>>().Value.MaxReceiveMessageSize ?? int.MaxValue;

    private sealed class BodyFeature(PipeReader reader) : IRequestBodyPipeFeature
    {
        public PipeReader Reader { get; } = reader;
    }
}
