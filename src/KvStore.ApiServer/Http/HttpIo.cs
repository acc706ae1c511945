using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Wire;
using Microsoft.AspNetCore.Http;

namespace KvStore.ApiServer.Http;

/// <summary>Reading request bodies (JSON, YAML, protobuf) and writing answers in the negotiated representation.</summary>
internal static class HttpIo
{
    public const string Json = "application/json";
    public const string TableContentType = "application/json;as=Table;v=v1;g=meta.k8s.io";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder =
        System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>True when the negotiated representation is a meta.k8s.io Table (kubectl get).</summary>
    public static bool WantsTable(HttpRequest request) => ResponseFormat.OrJson(request).Table;

    /// <summary>True when the negotiated answer is plain JSON (no Table, metadata-only form or protobuf): the watch cache then
    /// sends its serialized objects as they are.</summary>
    public static bool WantsPlainJson(HttpRequest request) => ResponseFormat.OrJson(request) == ResponseFormat.Json;

    public static bool Accepts(HttpRequest request, string marker) =>
        request.Headers.Accept.Any(a => a is not null && a.Contains(marker, StringComparison.Ordinal));

    /// <summary>
    /// Writes <paramref name="body"/> as the request negotiated: PartialObjectMetadata(List) when asked, protobuf when
    /// asked and the kind has a protobuf form (else JSON, as kube falls back for kinds without one).
    /// </summary>
    public static async Task WriteAsync(HttpContext context, int status, JsonNode body, string contentType = Json)
    {
        var format = ResponseFormat.OrJson(context.Request);
        byte[] bytes;
        if (contentType == Json && body is JsonObject obj && !format.Table)
        {
            if (format.As is not null && PartialObjectMetadata.Applies(obj))
            {
                obj = PartialObjectMetadata.Transform(obj, format);
                contentType = (format with { Protobuf = false }).ContentType;
            }
            if (format.Protobuf && KubeProtobuf.Encode(obj) is { } encoded)
            {
                bytes = encoded;
                contentType = contentType == Json ? KubeProtobuf.ContentType : format.ContentType;
            }
            else
            {
                bytes = Serialize(obj);
            }
        }
        else
        {
            bytes = Serialize(body);
        }
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }

    public static byte[] Serialize(JsonNode body)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            body.WriteTo(writer);
        }
        return buffer.ToArray();
    }

    public static async Task WriteTextAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(text, Encoding.UTF8, context.RequestAborted).ConfigureAwait(false);
    }

    public static async Task<string> ReadBodyAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
    }

    public static async Task<byte[]> ReadBytesAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted).ConfigureAwait(false);
        return buffer.ToArray();
    }

    /// <summary>True when the request body is kube's protobuf (application/vnd.kubernetes.protobuf).</summary>
    public static bool IsProtobuf(HttpRequest request) =>
        (request.ContentType ?? "").StartsWith(KubeProtobuf.ContentType, StringComparison.OrdinalIgnoreCase);

    /// <summary>The body as a JSON object (JSON, YAML or protobuf, as the content type says).</summary>
    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request)
    {
        var bytes = await ReadBytesAsync(request).ConfigureAwait(false);
        if (IsProtobuf(request)) return ProtobufBody.Decode(bytes);
        var text = Encoding.UTF8.GetString(bytes);
        var node = ParseDocument(text, request.ContentType);
        return node as JsonObject ?? throw ApiError.BadRequest("Object 'Kind' is missing in '" + Truncate(text) + "'");
    }

    /// <summary>An optional body (DeleteOptions) as a JSON object; null when empty or not an object.</summary>
    public static async Task<JsonObject?> ReadOptionalObjectAsync(HttpRequest request)
    {
        var bytes = await ReadBytesAsync(request).ConfigureAwait(false);
        if (bytes.Length == 0) return null;
        if (IsProtobuf(request)) return ProtobufBody.Decode(bytes);
        var text = Encoding.UTF8.GetString(bytes);
        return text.Trim().Length == 0 ? null : ParseDocument(text, request.ContentType) as JsonObject;
    }

    public static JsonNode? ParseDocument(string text, string? contentType)
    {
        var mediaType = (contentType ?? Json).Split(';')[0].Trim();
        if (mediaType.EndsWith("yaml", StringComparison.Ordinal)) return YamlJson.Parse(text);
        if (mediaType.Contains("protobuf", StringComparison.Ordinal) || mediaType.Contains("cbor", StringComparison.Ordinal))
        {
            throw ApiError.UnsupportedMediaType(contentType!);
        }
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw ApiError.BadRequest($"couldn't get version/kind; json parse error: {e.Message}");
        }
    }

    private static string Truncate(string text) => text.Length > 200 ? text[..200] : text;
}
