using System.Globalization;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Storage;
using Microsoft.AspNetCore.Http;

namespace KvStore.ApiServer.Http;

internal sealed partial class ResourceHandler
{
    /// <summary>How long a watch that reports nothing may take to say its start revision is compacted and still be
    /// answered with an HTTP 410 rather than an ERROR event in an open stream.</summary>
    private static readonly TimeSpan WatchStartWindow = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// A watch: newline-delimited {"type","object"} events flushed one by one (kube's watch encoding over HTTP/1.1
    /// chunks), Table rows when asked, rv unset or "0" = current objects as ADDED first, too old = 410 Expired.
    /// Ends after timeoutSeconds (kube's default: a random 30-60 min) or when the client goes.
    /// </summary>
    private async Task WatchAsync(HttpContext context, RequestTarget target, string? name = null)
    {
        var labels = LabelSelector.Parse(Query(context, "labelSelector"));
        var fields = FieldSelector.Parse(Query(context, "fieldSelector"), target.Resource);
        var rvText = Query(context, "resourceVersion");
        long from = 0;
        if (rvText is { Length: > 0 } && (!long.TryParse(rvText, NumberStyles.None, CultureInfo.InvariantCulture, out from)))
        {
            throw ApiError.BadRequest($"invalid resource version \"{rvText}\"");
        }
        var timeout = TimeSpan.FromSeconds(1800 * (1 + Random.Shared.NextDouble()));
        if (Query(context, "timeoutSeconds") is { } timeoutText)
        {
            if (!long.TryParse(timeoutText, out var seconds) || seconds < 0) throw ApiError.BadRequest($"invalid timeoutSeconds \"{timeoutText}\"");
            if (seconds > 0) timeout = TimeSpan.FromSeconds(seconds);
        }
        var bookmarks = Query(context, "allowWatchBookmarks") == "true";
        var format = ResponseFormat.Of(context.Request);
        var table = format.Table;
        name ??= fields.SingleName;
        var key = name is not null && (target.Namespace is not null || !target.Resource.Namespaced)
            ? RequestTarget.KeyOf(target.Resource, target.Namespace, name)
            : target.CollectionPrefix;

        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        ending.CancelAfter(timeout);
        await using var events = store.WatchAsync(key, from, bookmarks, ending.Token).GetAsyncEnumerator(ending.Token);
        var first = events.MoveNextAsync().AsTask();
        try
        {
            await Task.WhenAny(first, Task.Delay(WatchStartWindow, ending.Token)).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        if (first.IsFaulted && first.Exception?.InnerException is StoreException { Error: StoreError.Expired } expired)
        {
            throw ApiError.Expired(expired.Message.Length > 0 ? expired.Message : $"too old resource version: {from}");
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = WatchContentType(format);
        context.Response.Headers.CacheControl = "no-cache, private";
        await context.Response.StartAsync(ending.Token).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(ending.Token).ConfigureAwait(false);
        try
        {
            for (var next = first; await next.ConfigureAwait(false); next = events.MoveNextAsync().AsTask())
            {
                var e = events.Current;
                var type = e.Type switch
                {
                    StoreEventType.Added => "ADDED",
                    StoreEventType.Modified => "MODIFIED",
                    StoreEventType.Deleted => "DELETED",
                    _ => "BOOKMARK",
                };
                JsonObject obj;
                if (e.Type == StoreEventType.Bookmark || e.Object is null)
                {
                    if (!bookmarks) continue;
                    obj = new JsonObject
                    {
                        ["kind"] = target.Resource.Kind,
                        ["apiVersion"] = target.Resource.ApiVersion,
                        ["metadata"] = new JsonObject { ["resourceVersion"] = Revision(e.Revision) },
                    };
                }
                else
                {
                    obj = Typed(target.Resource, e.Object.Object);
                    if (name is not null && ObjectDefaults.Str(obj["metadata"]?["name"]) != name) continue;
                    if (!labels.Matches(obj) || !fields.Matches(obj)) continue;
                    if (table)
                    {
                        var rv = ObjectDefaults.Str(obj["metadata"]?["resourceVersion"]) ?? Revision(e.Revision);
                        obj = ToTable(context, target.Resource, [obj]);
                        obj["metadata"] = new JsonObject { ["resourceVersion"] = rv };
                    }
                }
                await WriteEventAsync(context, format, type, obj, ending.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ending.IsCancellationRequested)
        {
            // timeoutSeconds passed or the client went away: the stream just ends
        }
        catch (StoreException e)
        {
            var status = e.Error == StoreError.Expired
                ? ApiError.Expired(e.Message.Length > 0 ? e.Message : "too old resource version")
                : new ApiError(500, "InternalError", $"Internal error occurred: {e.Message}");
            await WriteEventAsync(context, format, "ERROR", status.ToStatus(), CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>kube's watch Content-Type: the negotiated type, with ";stream=watch" for protobuf.</summary>
    private static string WatchContentType(ResponseFormat format) => format switch
    {
        { Protobuf: true } => format.ContentType.Replace(Wire.KubeProtobuf.ContentType, Wire.KubeProtobuf.WatchContentType, StringComparison.Ordinal),
        { As: not null } => format.ContentType,
        _ => HttpIo.Json,
    };

    /// <summary>One event: a JSON line, or a length-prefixed protobuf WatchEvent frame; PartialObjectMetadata when asked.</summary>
    private static async Task WriteEventAsync(HttpContext context, ResponseFormat format, string type, JsonObject obj, CancellationToken cancellationToken)
    {
        if (format.As is "PartialObjectMetadata" or "PartialObjectMetadataList" && type != "ERROR")
            obj = PartialObjectMetadata.Transform(obj, format with { As = "PartialObjectMetadata" });
        if (format.Protobuf && Wire.KubeProtobuf.Encode(obj) is { } encoded)
        {
            await context.Response.Body.WriteAsync(Wire.KubeProtobuf.WatchFrame(type, encoded), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var line = HttpIo.Serialize(new JsonObject { ["type"] = type, ["object"] = obj });
            await context.Response.Body.WriteAsync(line, cancellationToken).ConfigureAwait(false);
            await context.Response.Body.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        }
        await context.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
