using System.Text.Json.Nodes;
using KvStore.ApiServer.Printing;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Schema;
using KvStore.ApiServer.Storage;
using KvStore.ApiServer.Storage.Cache;
using Microsoft.AspNetCore.Http;

namespace KvStore.ApiServer.Http;

/// <summary>
/// The REST verbs on stored resources (kube-apiserver's endpoints/handlers + registry/generic/registry/store.go,
/// thin): dispatch by method and target, one partial file per concern (Read, Write, ReadModifyWrite, Patch, Delete, Watch,
/// Subresources, Cache, Internal).
/// </summary>
internal sealed partial class ResourceHandler(ObjectStore store, ServedResources served, WatchCaches caches, ApiServerOptions options,
    TimeProvider clock)
{
    private readonly ClusterIpAllocator _clusterIps = new(store, ClusterIpRange.Parse(options.ServiceClusterIpRange));
    private readonly NodePortAllocator _nodePorts = new(store, NodePortRange.Parse(options.ServiceNodePortRange));

    public ObjectStore Store => store;

    public async Task HandleAsync(HttpContext context, RequestTarget target)
    {
        var method = context.Request.Method;
        _ = ResponseFormat.Of(context.Request);
        var isWatch = target.WatchPath || context.Request.Query["watch"] is { Count: > 0 } w && w[0] is "true" or "1";
        if (target.Subresource is { } sub)
        {
            await SubresourceAsync(context, target, sub).ConfigureAwait(false);
            return;
        }
        if (target.Name is null)
        {
            switch (method)
            {
                case "GET" when isWatch:
                    await WatchAsync(context, target).ConfigureAwait(false);
                    return;
                case "GET":
                    await ListAsync(context, target).ConfigureAwait(false);
                    return;
                case "POST" when target.Namespace is not null || !target.Resource.Namespaced:
                    await CreateAsync(context, target).ConfigureAwait(false);
                    return;
                case "DELETE":
                    await DeleteCollectionAsync(context, target).ConfigureAwait(false);
                    return;
                default:
                    throw ApiError.MethodNotAllowed();
            }
        }
        switch (method)
        {
            case "GET" when isWatch:
                await WatchAsync(context, target with { }, target.Name).ConfigureAwait(false);
                return;
            case "GET":
                await GetAsync(context, target).ConfigureAwait(false);
                return;
            case "PUT":
                await UpdateAsync(context, target).ConfigureAwait(false);
                return;
            case "PATCH":
                await PatchAsync(context, target).ConfigureAwait(false);
                return;
            case "DELETE":
                await DeleteAsync(context, target).ConfigureAwait(false);
                return;
            default:
                throw ApiError.MethodNotAllowed();
        }
    }

    private DateTimeOffset Now => clock.GetUtcNow();

    /// <summary>Whether <paramref name="resource"/> is the built-in one of that name (a CRD may have the plural "services").</summary>
    private static bool BuiltIn(ResourceInfo resource, string name) => resource.Runtime is null && resource.Resource == name;

    private static string? Query(HttpContext context, string name) =>
        context.Request.Query[name] is { Count: > 0 } values ? values[0] : null;

    /// <summary>dryRun=All: everything but the write (kube refuses other values).</summary>
    private static bool DryRun(HttpContext context)
    {
        var values = context.Request.Query["dryRun"];
        if (values.Count == 0) return false;
        foreach (var value in values)
        {
            if (value != "All") throw ApiError.BadRequest($"Invalid dry run option \"{value}\": only \"All\" is supported");
        }
        return true;
    }

    /// <summary>Table when asked (kubectl get), with the list's resourceVersion/continue in its metadata.</summary>
    private JsonObject ToTable(HttpContext context, ResourceInfo resource, IReadOnlyList<JsonObject> objects)
    {
        var include = Query(context, "includeObject") ?? "Metadata";
        if (include is not ("None" or "Metadata" or "Object")) throw ApiError.BadRequest($"includeObject: Unsupported value: \"{include}\"");
        var table = TableConvertor.ToTable(resource, objects, include, Now);
        table["apiVersion"] = "meta.k8s.io/" + ResponseFormat.OrJson(context.Request).MetaVersion;
        return table;
    }

    /// <summary>Strict/Warn/Ignore field validation (default Warn as kube's server default). Strict throws 400.</summary>
    private static void CheckFields(HttpContext context, ResourceInfo resource, JsonObject obj)
    {
        var mode = Query(context, "fieldValidation") ?? "Warn";
        if (mode is not ("Strict" or "Warn" or "Ignore"))
        {
            throw ApiError.BadRequest($"fieldValidation parameter unsupported: {mode}");
        }
        if (mode == "Ignore") return;
        var unknown = SchemaRegistry.UnknownFields(resource, obj);
        if (unknown.Count == 0) return;
        if (mode == "Strict")
        {
            throw ApiError.BadRequest(
                $"{resource.Kind} in version \"{resource.Version}\" cannot be handled as a {resource.Kind}: strict decoding error: " +
                $"{string.Join(", ", unknown)}");
        }
        foreach (var warning in unknown)
        {
            context.Response.Headers.Append("Warning", "299 - \"" + warning.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"");
        }
    }

    private static void CheckValid(ResourceInfo resource, JsonObject obj, JsonObject? old)
    {
        var causes = SchemaRegistry.Validate(resource, obj, old);
        if (causes.Count > 0)
        {
            throw ApiError.Invalid(resource, ObjectDefaults.Str(obj["metadata"]?["name"]) ?? "", causes);
        }
    }

    /// <summary>The stored object at the resource's version, with its kind and apiVersion (older writers may have left them
    /// out).</summary>
    private static JsonObject Typed(ResourceInfo resource, JsonObject obj) => StorageVersions.FromStorage(resource, obj);

    private static string Revision(long revision) => revision.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string RevisionText(long revision) => Revision(revision);
}
