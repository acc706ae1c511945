using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace KvStore.ApiServer.Http;

/// <summary>Reading request bodies and writing JSON answers (kube-apiserver's negotiation, JSON only).</summary>
internal static class HttpIo
{
    public const string Json = "application/json";
    public const string TableContentType = "application/json;as=Table;v=v1;g=meta.k8s.io";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>True when the Accept header asks for a meta.k8s.io Table (kubectl get).</summary>
    public static bool WantsTable(HttpRequest request) =>
        request.Headers.Accept.Any(a => a is not null && a.Split(',').Any(m => m.Contains("as=Table", StringComparison.Ordinal)));

    /// <summary>True when the answer is plain JSON whatever else is offered: no Table or metadata-only form (as=), no
    /// protobuf, CBOR or YAML among the accepted types (the watch cache then sends its serialized objects as they are).</summary>
    public static bool WantsPlainJson(HttpRequest request) =>
        !request.Headers.Accept.Any(a => a is not null && a.Split(',').Any(m =>
            m.Contains("as=", StringComparison.Ordinal) || m.Contains("protobuf", StringComparison.Ordinal)
            || m.Contains("cbor", StringComparison.Ordinal) || m.Contains("yaml", StringComparison.Ordinal)));

    public static bool Accepts(HttpRequest request, string marker) =>
        request.Headers.Accept.Any(a => a is not null && a.Contains(marker, StringComparison.Ordinal));

    public static async Task WriteAsync(HttpContext context, int status, JsonNode body, string contentType = Json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        await context.Response.Body.WriteAsync(Serialize(body), context.RequestAborted).ConfigureAwait(false);
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

    /// <summary>The body as a JSON object (JSON, or YAML when the content type says so).</summary>
    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request)
    {
        if ((request.ContentType ?? "").StartsWith(ProtobufBody.ContentType, StringComparison.Ordinal))
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted).ConfigureAwait(false);
            return ProtobufBody.Decode(buffer.ToArray());
        }
        var text = await ReadBodyAsync(request).ConfigureAwait(false);
        var node = ParseDocument(text, request.ContentType);
        return node as JsonObject ?? throw ApiError.BadRequest("Object 'Kind' is missing in '" + Truncate(text) + "'");
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
