using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Storage.Cache;

namespace KvStore.ApiServer.Http;

internal sealed partial class ResourceHandler
{
    /// <summary>The watch cache of <paramref name="resource"/> (started on first use): objects completed with kind and
    /// apiVersion, and their labels and selectable fields.</summary>
    public WatchCache CacheFor(ResourceInfo resource) =>
        caches.For(new CachedResource(resource.KeyPrefix, resource.ApiVersion, obj => Typed(resource, obj), obj => Attributes(resource, obj)));

    public WatchCaches Caches => caches;

    private static ObjectAttributes Attributes(ResourceInfo resource, JsonObject obj) =>
        new(LabelSelector.Labels(obj), FieldSelector.Attributes(resource, obj));

    /// <summary>The selectors as the cache applies them (null: everything).</summary>
    private static Func<ObjectAttributes, bool>? CacheFilter(LabelSelector labels, FieldSelector fields) =>
        labels.IsEverything && ReferenceEquals(fields, FieldSelector.Everything)
            ? null
            : a => labels.Matches(a.Labels) && fields.Matches(a.Fields);
}
