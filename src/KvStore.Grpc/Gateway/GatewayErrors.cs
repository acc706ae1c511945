using System.Buffers;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace KvStore.Grpc.Gateway;

/// <summary>
/// How grpc-gateway v1 (as etcd 3.4 serves it) renders a gRPC status: the HTTP status from its table, the body
/// {"error","message","code"} of a failed call, {"error":{"grpc_code",...}} inside a stream that has started, and
/// Go's plain-text answers for a path or method it does not serve.
/// </summary>
internal static class GatewayErrors
{
    /// <summary>grpc-gateway's HTTPStatusFromCode.</summary>
    public static int HttpStatus(StatusCode code) => code switch
    {
        StatusCode.OK => StatusCodes.Status200OK,
        StatusCode.Cancelled => StatusCodes.Status408RequestTimeout,
        StatusCode.Unknown => StatusCodes.Status500InternalServerError,
        StatusCode.InvalidArgument => StatusCodes.Status400BadRequest,
        StatusCode.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        StatusCode.NotFound => StatusCodes.Status404NotFound,
        StatusCode.AlreadyExists => StatusCodes.Status409Conflict,
        StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
        StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
        StatusCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        StatusCode.FailedPrecondition => StatusCodes.Status412PreconditionFailed,
        StatusCode.Aborted => StatusCodes.Status409Conflict,
        StatusCode.OutOfRange => StatusCodes.Status400BadRequest,
        StatusCode.Unimplemented => StatusCodes.Status501NotImplemented,
        StatusCode.Internal => StatusCodes.Status500InternalServerError,
        StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        StatusCode.DataLoss => StatusCodes.Status500InternalServerError,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>Go's http.StatusText for the statuses above.</summary>
    public static string HttpStatusText(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        412 => "Precondition Failed",
        429 => "Too Many Requests",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Internal Server Error",
    };

    /// <summary>grpc-gateway's errorBody: {"error": message, "message": message, "code": code}, defaults left out.</summary>
    public static void WriteBody(ArrayBufferWriter<byte> output, Status status)
    {
        output.Write("{"u8);
        bool first = true;
        if (status.Detail.Length > 0)
        {
            output.Write("\"error\":"u8);
            GatewayJsonWriter.WriteString(output, status.Detail);
            output.Write(",\"message\":"u8);
            GatewayJsonWriter.WriteString(output, status.Detail);
            first = false;
        }
        if (status.StatusCode != StatusCode.OK)
        {
            if (!first) output.Write(","u8);
            output.Write("\"code\":"u8);
            WriteNumber(output, (int)status.StatusCode);
        }
        output.Write("}"u8);
    }

    /// <summary>grpc-gateway's streamChunk for an error: {"error": StreamError}, defaults left out.</summary>
    public static void WriteStreamChunk(ArrayBufferWriter<byte> output, Status status)
    {
        int http = HttpStatus(status.StatusCode);
        output.Write("{\"error\":{"u8);
        if (status.StatusCode != StatusCode.OK)
        {
            output.Write("\"grpc_code\":"u8);
            WriteNumber(output, (int)status.StatusCode);
            output.Write(","u8);
        }
        output.Write("\"http_code\":"u8);
        WriteNumber(output, http);
        if (status.Detail.Length > 0)
        {
            output.Write(",\"message\":"u8);
            GatewayJsonWriter.WriteString(output, status.Detail);
        }
        output.Write(",\"http_status\":"u8);
        GatewayJsonWriter.WriteString(output, HttpStatusText(http));
        output.Write("}}"u8);
    }

    /// <summary>Go's http.Error, as grpc-gateway's mux answers a path it has no pattern for, or a method it does not serve.</summary>
    public static Task WritePlainAsync(HttpContext http, int status, string? message = null)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/plain; charset=utf-8";
        http.Response.Headers["X-Content-Type-Options"] = "nosniff";
        string text = (message ?? (status == StatusCodes.Status405MethodNotAllowed ? "Method Not Allowed" : HttpStatusText(status))) + "\n";
        http.Response.ContentLength = text.Length;
        return http.Response.WriteAsync(text, http.RequestAborted);
    }

    private static void WriteNumber(ArrayBufferWriter<byte> output, int value)
    {
        Span<byte> span = output.GetSpan(11);
        System.Buffers.Text.Utf8Formatter.TryFormat(value, span, out int written);
        output.Advance(written);
    }
}
