using System.Buffers;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Storage;
using KvStore.ApiServer.Storage.Cache;
using Microsoft.AspNetCore.Http;

namespace KvStore.ApiServer.Http;

internal sealed partial class ResourceHandler
{
    /// <summary>The stored object or a NotFound Status: from the store when <paramref name="resourceVersion"/> is unset
    /// (a consistent read), else from the watch cache at least that fresh (kube's Cacher.Get).</summary>
    private async Task<StoredObject> ReadAsync(RequestTarget target, string? resourceVersion, CancellationToken cancellationToken)
    {
        try
        {
            if (string.IsNullOrEmpty(resourceVersion))
            {
                return await store.GetAsync(target.Key, null, cancellationToken).ConfigureAwait(false)
                    ?? throw ApiError.NotFound(target.Resource, target.Name!);
            }
            var minimum = ObjectStore.ParseResourceVersion(resourceVersion);
            var (cached, _) = await CacheFor(target.Resource).GetAsync(target.Key, minimum, cancellationToken).ConfigureAwait(false);
            return cached?.ToStored() ?? throw ApiError.NotFound(target.Resource, target.Name!);
        }
        catch (StoreException e)
        {
            throw ApiError.FromStore(e, target.Resource, target.Name!);
        }
    }

    private async Task GetAsync(HttpContext context, RequestTarget target)
    {
        var stored = await ReadAsync(target, Query(context, "resourceVersion"), context.RequestAborted).ConfigureAwait(false);
        var obj = Typed(target.Resource, stored.Object);
        if (HttpIo.WantsTable(context.Request))
        {
            var table = ToTable(context, target.Resource, [obj]);
            table["metadata"] = new JsonObject { ["resourceVersion"] = Revision(stored.ModRevision) };
            await HttpIo.WriteAsync(context, 200, table, ResponseFormat.OrJson(context.Request).ContentType).ConfigureAwait(false);
            return;
        }
        await HttpIo.WriteAsync(context, 200, obj).ConfigureAwait(false);
    }

    private static Func<JsonObject, bool>? Filter(LabelSelector labels, FieldSelector fields) =>
        labels.IsEverything && ReferenceEquals(fields, FieldSelector.Everything) ? null : o => labels.Matches(o) && fields.Matches(o);

    /// <summary>
    /// A list, from the watch cache when kube 1.32 would serve it from there (resourceVersion "0", or N with
    /// NotOlderThan semantics: at least that fresh; "0" ignores limit), else from the store (consistent reads,
    /// continue tokens, resourceVersionMatch=Exact, a limit with a legacy exact rv).
    /// </summary>
    private async Task ListAsync(HttpContext context, RequestTarget target)
    {
        var labels = LabelSelector.Parse(Query(context, "labelSelector"));
        var fields = FieldSelector.Parse(Query(context, "fieldSelector"), target.Resource);
        var options = ListOptions.Parse(context, watch: false);
        var listMeta = new JsonObject();
        IReadOnlyList<JsonObject>? objects = null;
        IReadOnlyList<CachedObject>? cachedItems = null;
        try
        {
            if (options.ListFromStore)
            {
                var page = await store.ListAsync(target.CollectionPrefix, options.ResourceVersion, options.Match == ListOptions.Exact, options.Limit,
                    options.Continue, Filter(labels, fields), context.RequestAborted).ConfigureAwait(false);
                Meta(listMeta, page.Revision, page.Continue, page.RemainingItemCount);
                objects = page.Items.Select(i => Typed(target.Resource, i.Object)).ToList();
            }
            else
            {
                var limit = options.ResourceVersion == "0" ? 0 : options.Limit;
                var list = await CacheFor(target.Resource).ListAsync(target.CollectionPrefix, options.Revision, CacheFilter(labels, fields), limit,
                    context.RequestAborted).ConfigureAwait(false);
                Meta(listMeta, list.Revision, list.Continue, list.RemainingItemCount);
                cachedItems = list.Items;
            }
        }
        catch (StoreException e) when (e.Error == StoreError.Expired)
        {
            throw new ApiError(410, "Expired", e.Message) { ListContinue = e.Continue };
        }
        catch (StoreException e)
        {
            throw ApiError.FromStore(e, target.Resource, "");
        }
        catch (FormatException e)
        {
            throw ApiError.BadRequest($"continue key is not valid: {e.Message}");
        }
        if (cachedItems is not null && HttpIo.WantsPlainJson(context.Request))
        {
            await WriteCachedListAsync(context, target.Resource, listMeta, cachedItems).ConfigureAwait(false);
            return;
        }
        objects ??= cachedItems!.Select(i => i.Parse()).ToList();
        if (HttpIo.WantsTable(context.Request))
        {
            var table = ToTable(context, target.Resource, objects);
            table["metadata"] = listMeta;
            await HttpIo.WriteAsync(context, 200, table, ResponseFormat.OrJson(context.Request).ContentType).ConfigureAwait(false);
            return;
        }
        await HttpIo.WriteAsync(context, 200, ListOf(target.Resource, listMeta, objects)).ConfigureAwait(false);
    }

    private static void Meta(JsonObject listMeta, long revision, string? next, long? remaining)
    {
        listMeta["resourceVersion"] = Revision(revision);
        if (next is { Length: > 0 }) listMeta["continue"] = next;
        if (remaining is { } count) listMeta["remainingItemCount"] = count;
    }

    /// <summary>A JSON list whose items are the cache's serialized objects, copied as they are (no tree per item).</summary>
    private static async Task WriteCachedListAsync(HttpContext context, ResourceInfo resource, JsonObject listMeta, IReadOnlyList<CachedObject> items)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = HttpIo.Json;
        var head = HttpIo.Serialize(new JsonObject { ["kind"] = resource.ListKind, ["apiVersion"] = resource.ApiVersion, ["metadata"] = listMeta });
        var body = context.Response.BodyWriter;
        body.Write(head.AsSpan(0, head.Length - 1)); // the header object without its closing brace
        body.Write(",\"items\":["u8);
        long unflushed = 0;
        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0) body.Write(","u8);
            body.Write(items[i].Json.Span);
            unflushed += items[i].Json.Length;
            if (unflushed < 64 * 1024) continue;
            await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            unflushed = 0;
        }
        body.Write("]}"u8);
        await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static JsonObject ListOf(ResourceInfo resource, JsonObject listMeta, IEnumerable<JsonObject> items) => new()
    {
        ["kind"] = resource.ListKind,
        ["apiVersion"] = resource.ApiVersion,
        ["metadata"] = listMeta,
        ["items"] = new JsonArray(items.Select(i => (JsonNode)i).ToArray()),
    };
}
