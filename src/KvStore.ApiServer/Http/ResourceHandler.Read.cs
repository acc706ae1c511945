using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Storage;
using Microsoft.AspNetCore.Http;

namespace KvStore.ApiServer.Http;

internal sealed partial class ResourceHandler
{
    /// <summary>The stored object or a NotFound Status.</summary>
    private async Task<StoredObject> ReadAsync(RequestTarget target, string? resourceVersion, CancellationToken cancellationToken)
    {
        try
        {
            return await store.GetAsync(target.Key, resourceVersion, cancellationToken).ConfigureAwait(false)
                ?? throw ApiError.NotFound(target.Resource, target.Name!);
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

    private async Task ListAsync(HttpContext context, RequestTarget target)
    {
        var labels = LabelSelector.Parse(Query(context, "labelSelector"));
        var fields = FieldSelector.Parse(Query(context, "fieldSelector"), target.Resource);
        var limitText = Query(context, "limit");
        long limit = 0;
        if (limitText is not null && (!long.TryParse(limitText, out limit) || limit < 0))
        {
            throw ApiError.BadRequest($"limit: Invalid value: \"{limitText}\": must be a non-negative integer");
        }
        var continueToken = Query(context, "continue");
        var resourceVersion = Query(context, "resourceVersion");
        if (continueToken is { Length: > 0 } && resourceVersion is { Length: > 0 } && resourceVersion != "0")
        {
            throw ApiError.BadRequest("specifying resource version is not allowed when using continue");
        }
        ListPage page;
        try
        {
            page = await store.ListAsync(target.CollectionPrefix, resourceVersion, limit, continueToken, Filter(labels, fields), context.RequestAborted)
                .ConfigureAwait(false);
        }
        catch (StoreException e) when (e.Error == StoreError.Expired)
        {
            throw new ApiError(410, "Expired", continueToken is { Length: > 0 }
                ? "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."
                : e.Message) { ListContinue = e.Continue };
        }
        catch (StoreException e)
        {
            throw ApiError.FromStore(e, target.Resource, "");
        }
        catch (FormatException e)
        {
            throw ApiError.BadRequest($"continue key is not valid: {e.Message}");
        }
        var listMeta = new JsonObject { ["resourceVersion"] = Revision(page.Revision) };
        if (page.Continue is { Length: > 0 } next) listMeta["continue"] = next;
        if (page.RemainingItemCount is { } remaining) listMeta["remainingItemCount"] = remaining;

        var objects = page.Items.Select(i => Typed(target.Resource, i.Object)).ToList();
        if (HttpIo.WantsTable(context.Request))
        {
            var table = ToTable(context, target.Resource, objects);
            table["metadata"] = listMeta;
            await HttpIo.WriteAsync(context, 200, table, ResponseFormat.OrJson(context.Request).ContentType).ConfigureAwait(false);
            return;
        }
        await HttpIo.WriteAsync(context, 200, ListOf(target.Resource, listMeta, objects)).ConfigureAwait(false);
    }

    private static JsonObject ListOf(ResourceInfo resource, JsonObject listMeta, IEnumerable<JsonObject> items) => new()
    {
        ["kind"] = resource.ListKind,
        ["apiVersion"] = resource.ApiVersion,
        ["metadata"] = listMeta,
        ["items"] = new JsonArray(items.Select(i => (JsonNode)i).ToArray()),
    };
}
