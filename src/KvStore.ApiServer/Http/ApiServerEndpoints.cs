using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Schema;
using KvStore.ApiServer.Storage;
using Microsoft.AspNetCore.Http;

namespace KvStore.ApiServer.Http;

/// <summary>
/// The one request entry: non-resource paths (/version, health, discovery, OpenAPI) and resource paths, with
/// every failure answered as a kube Status. kubectl's dispatcher needs /version minor "32".
/// </summary>
internal sealed class ApiServerEndpoints(ResourceHandler resources, ServedResources served, Task bootstrapped)
{
    public static readonly JsonObject Version = new()
    {
        ["major"] = "1",
        ["minor"] = "32",
        ["gitVersion"] = "v1.32.0",
        ["gitCommit"] = "kvstore",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2024-12-11T17:59:15Z",
        ["goVersion"] = "go1.23.3",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            await RouteAsync(context).ConfigureAwait(false);
        }
        catch (ApiError e)
        {
            await WriteErrorAsync(context, e).ConfigureAwait(false);
        }
        catch (StoreException e)
        {
            await WriteErrorAsync(context, e.Error == StoreError.Expired
                ? ApiError.Expired(e.Message)
                : new ApiError(500, "InternalError", $"Internal error occurred: {e.Message}")).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
    }

    private static async Task WriteErrorAsync(HttpContext context, ApiError e)
    {
        if (context.Response.HasStarted) return;
        context.Response.Headers.Remove("Warning");
        await HttpIo.WriteAsync(context, e.Code, e.ToStatus()).ConfigureAwait(false);
    }

    private Task RouteAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        if (path.Length > 1) path = path.TrimEnd('/');
        var get = context.Request.Method is "GET" or "HEAD";
        switch (path)
        {
            case "/version" when get:
                return HttpIo.WriteAsync(context, 200, Version);
            case "/healthz" or "/livez" or "/readyz" when get:
                return HealthAsync(context, path);
            case "/api" when get:
                return HttpIo.Accepts(context.Request, "as=APIGroupDiscoveryList")
                    ? HttpIo.WriteAsync(context, 200, Discovery.AggregatedCore(served), Discovery.AggregatedContentType)
                    : HttpIo.WriteAsync(context, 200, Discovery.LegacyCoreVersions(context.Connection.LocalIpAddress + ":"
                        + context.Connection.LocalPort));
            case "/apis" when get:
                return HttpIo.Accepts(context.Request, "as=APIGroupDiscoveryList")
                    ? HttpIo.WriteAsync(context, 200, Discovery.AggregatedGroups(served), Discovery.AggregatedContentType)
                    : HttpIo.WriteAsync(context, 200, Discovery.LegacyGroups(served));
            case "/openapi/v3" when get:
                return HttpIo.WriteAsync(context, 200, OpenApi.Index(served));
        }
        if (get && path.StartsWith("/openapi/v3/", StringComparison.Ordinal))
        {
            return OpenApi.Document(path["/openapi/v3/".Length..], served) is { } document
                ? HttpIo.WriteAsync(context, 200, document)
                : throw ApiError.NoSuchPath();
        }
        if (get && (path.StartsWith("/healthz/", StringComparison.Ordinal) || path.StartsWith("/livez/", StringComparison.Ordinal)
            || path.StartsWith("/readyz/", StringComparison.Ordinal)))
        {
            return HealthAsync(context, path);
        }
        if (get && DiscoveryPath(path) is { } list)
        {
            return HttpIo.WriteAsync(context, 200, list);
        }
        if (RequestTarget.Parse(path, served) is { } target)
        {
            return resources.HandleAsync(context, target);
        }
        throw ApiError.NoSuchPath();
    }

    /// <summary>/api/v1, /apis/GROUP/VERSION (APIResourceList) and /apis/GROUP (APIGroup).</summary>
    private JsonObject? DiscoveryPath(string path)
    {
        var segments = path.Trim('/').Split('/');
        return segments switch
        {
            ["api", var version] => Discovery.ResourceList("", version, served),
            ["apis", var group, var version] => Discovery.ResourceList(group, version, served),
            ["apis", var group] => Group(group),
            _ => null,
        };
    }

    private JsonObject? Group(string group)
    {
        var versions = served.GroupVersions.Where(gv => gv.Group == group).Select(gv => gv.Version).ToList();
        if (versions.Count == 0) return null;
        JsonObject Version(string v) => new() { ["groupVersion"] = $"{group}/{v}", ["version"] = v };
        return new JsonObject
        {
            ["kind"] = "APIGroup",
            ["apiVersion"] = "v1",
            ["name"] = group,
            ["versions"] = new JsonArray(versions.Select(v => (JsonNode)Version(v)).ToArray()),
            ["preferredVersion"] = Version(versions[0]),
        };
    }

    /// <summary>/healthz, /livez, /readyz (and their /etcd, /ping checks): "ok" once the store answers a read.</summary>
    private async Task HealthAsync(HttpContext context, string path)
    {
        var checkStore = !path.EndsWith("/ping", StringComparison.Ordinal) && !path.StartsWith("/livez", StringComparison.Ordinal);
        if (checkStore && !bootstrapped.IsCompleted)
        {
            await HttpIo.WriteTextAsync(context, 500, "[-]poststarthook/bootstrap-controller failed: not finished\nreadyz check failed\n")
                .ConfigureAwait(false);
            return;
        }
        if (checkStore)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                await resources.Store.GetAsync("/registry/health", null, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StoreException or OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
            {
                await HttpIo.WriteTextAsync(context, 500, $"[-]etcd failed: {e.Message}\nhealthz check failed\n").ConfigureAwait(false);
                return;
            }
        }
        await HttpIo.WriteTextAsync(context, 200, "ok").ConfigureAwait(false);
    }
}
