using System.Text.Json.Nodes;
using KvStore.ApiServer.Storage;
using KvStore.ApiServer.Storage.Cache;
using Microsoft.AspNetCore.Http;

namespace KvStore.ApiServer.Http;

internal sealed partial class ResourceHandler
{
    /// <summary>The bookmark annotation that ends a watch-list's initial events (kube's metav1.InitialEventsAnnotationKey).</summary>
    public const string InitialEventsEndAnnotation = "k8s.io/initial-events-end";

    /// <summary>
    /// A watch, served by the resource's watch cache (kube's Cacher.Watch): newline-delimited {"type","object"} events
    /// flushed one by one, Table rows when asked. From "" or "0" it is a watch-list (kube 1.32 defaults it so): the current
    /// objects as ADDED first ("" waits until the cache has the store's current revision), then, with
    /// allowWatchBookmarks, a BOOKMARK annotated k8s.io/initial-events-end. From N: the events after N, or one ERROR event
    /// 410 Expired "too old resource version" when the cache's window no longer reaches back to N. A selector sees an
    /// object that starts or stops matching as ADDED or DELETED. With allowWatchBookmarks, bookmarks every minute and two
    /// seconds before timeoutSeconds (kube's default: a random 30-60 min) ends the stream.
    /// </summary>
    private async Task WatchAsync(HttpContext context, RequestTarget target, string? name = null)
    {
        var labels = LabelSelector.Parse(Query(context, "labelSelector"));
        var fields = FieldSelector.Parse(Query(context, "fieldSelector"), target.Resource);
        var options = ListOptions.Parse(context, watch: true);
        var timeout = TimeSpan.FromSeconds(1800 * (1 + Random.Shared.NextDouble()));
        if (Query(context, "timeoutSeconds") is { } timeoutText)
        {
            if (!long.TryParse(timeoutText, out var seconds) || seconds < 0) throw ApiError.BadRequest($"invalid timeoutSeconds \"{timeoutText}\"");
            if (seconds > 0) timeout = TimeSpan.FromSeconds(seconds);
        }
        var format = ResponseFormat.Of(context.Request);
        name ??= fields.SingleName;
        var key = name is not null && (target.Namespace is not null || !target.Resource.Namespaced)
            ? RequestTarget.KeyOf(target.Resource, target.Namespace, name)
            : target.CollectionPrefix;

        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        ending.CancelAfter(timeout);
        var initial = options.SendInitialEvents == true;
        CacheWatcher? watcher = null;
        ApiError? failed = null;
        try
        {
            // a consistent watch-list ("") starts from the store's current revision (kube's GetCurrentResourceVersionFromStorage)
            var minimum = initial && options.ResourceVersion.Length == 0
                ? await store.CurrentRevisionAsync(target.Resource.KeyPrefix, ending.Token).ConfigureAwait(false)
                : options.Revision;
            var request = new CacheWatchRequest(key, CacheFilter(labels, fields), initial ? 0 : minimum, initial, initial ? minimum : 0,
                initial && options.AllowWatchBookmarks, options.AllowWatchBookmarks, Now + timeout);
            watcher = await CacheFor(target.Resource).WatchAsync(request, ending.Token).ConfigureAwait(false);
        }
        catch (StoreException e) when (e.Error == StoreError.Initializing)
        {
            context.Response.Headers.RetryAfter = "1";
            throw ApiError.FromStore(e, target.Resource, "");
        }
        catch (StoreException e)
        {
            // kube's newErrWatcher: once the request is accepted, a failure is the stream's one ERROR event
            failed = ApiError.FromStore(e, target.Resource, "");
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = WatchContentType(format);
        context.Response.Headers.CacheControl = "no-cache, private";
        await context.Response.StartAsync(ending.Token).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(ending.Token).ConfigureAwait(false);
        if (failed is not null)
        {
            await WriteEventAsync(context, format, "ERROR", failed.ToStatus(), ending.Token).ConfigureAwait(false);
            return;
        }
        using (watcher)
        {
            try
            {
                await foreach (var e in watcher!.ReadAllAsync(ending.Token).ConfigureAwait(false))
                {
                    if (e.Type == StoreEventType.Bookmark)
                    {
                        if (options.AllowWatchBookmarks) await WriteEventAsync(context, format, "BOOKMARK", Bookmark(target, e), ending.Token)
                            .ConfigureAwait(false);
                        continue;
                    }
                    if (format == ResponseFormat.Json)
                    {
                        // plain JSON: the frame the cache wrote once for every watcher this change went to
                        await WriteFrameAsync(context, e.JsonFrame(), ending.Token).ConfigureAwait(false);
                        continue;
                    }
                    var obj = e.Object!.Parse();
                    if (format.Table)
                    {
                        obj = ToTable(context, target.Resource, [obj]);
                        obj["metadata"] = new JsonObject { ["resourceVersion"] = Revision(e.Object.Revision) };
                    }
                    await WriteEventAsync(context, format, e.TypeName, obj, ending.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (ending.IsCancellationRequested)
            {
                // timeoutSeconds passed or the client went away: the stream just ends
            }
        }
    }

    /// <summary>A bookmark: an empty object of the kind carrying only the revision (and the initial-events-end annotation).</summary>
    private static JsonObject Bookmark(RequestTarget target, WatchEvent e)
    {
        var meta = new JsonObject { ["resourceVersion"] = Revision(e.Revision) };
        if (e.InitialEventsEnd) meta["annotations"] = new JsonObject { [InitialEventsEndAnnotation] = "true" };
        return new JsonObject { ["kind"] = target.Resource.Kind, ["apiVersion"] = target.Resource.ApiVersion, ["metadata"] = meta };
    }

    /// <summary>kube's watch Content-Type: the negotiated type, with ";stream=watch" for protobuf.</summary>
    private static string WatchContentType(ResponseFormat format) => format switch
    {
        { Protobuf: true } => format.ContentType.Replace(Wire.KubeProtobuf.ContentType, Wire.KubeProtobuf.WatchContentType, StringComparison.Ordinal),
        { As: not null } => format.ContentType,
        _ => HttpIo.Json,
    };

    /// <summary>One event: a JSON line, or a length-prefixed protobuf WatchEvent frame; PartialObjectMetadata when asked.</summary>
    private static async Task WriteEventAsync(HttpContext context, ResponseFormat format, string type, JsonObject obj,
        CancellationToken cancellationToken)
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

    private static async Task WriteFrameAsync(HttpContext context, byte[] frame, CancellationToken cancellationToken)
    {
        await context.Response.Body.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
