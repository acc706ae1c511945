using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Tests.Http;

/// <summary>
/// The watch cache over plain HTTP, as client-go uses it: a watch-list (sendInitialEvents=true,
/// resourceVersionMatch=NotOlderThan, allowWatchBookmarks=true) with its initial-events-end bookmark, selector
/// transitions as ADDED/DELETED, bookmarks before a watch times out, lists at resourceVersion 0 from memory and a 410
/// for a revision older than the cache's window. Run against the in-member facade and the standalone facade over etcd 3.4.
/// </summary>
public abstract class WatchCacheTests(IApiServerFixture server) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromSeconds(60) };

    public void Dispose() => _http.Dispose();

    private async Task<(HttpStatusCode Code, JsonObject Body)> SendAsync(HttpMethod method, string path, string? json = null,
        string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue(contentType));
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    private async Task NamespaceAsync(string name) =>
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, "/api/v1/namespaces", $$$"""{"metadata":{"name":"{{{name}}}"}}""")).Code);

    private async Task<long> ConfigMapAsync(string ns, string name, string labels = "{}")
    {
        var (code, body) = await SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps",
            $$$"""{"metadata":{"name":"{{{name}}}","labels":{{{labels}}}},"data":{"k":"v"}}""");
        Assert.Equal(HttpStatusCode.Created, code);
        return long.Parse((string)body["metadata"]!["resourceVersion"]!);
    }

    private Task<(HttpStatusCode Code, JsonObject Body)> LabelAsync(string ns, string name, string labels) =>
        SendAsync(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/configmaps/{name}", $$$"""{"metadata":{"labels":{{{labels}}}}}""", "application/merge-patch+json");

    /// <summary>A watch stream read line by line (each line one event).</summary>
    private sealed class WatchStream(HttpResponseMessage response, StreamReader reader) : IDisposable
    {
        public HttpResponseMessage Response => response;

        public async Task<JsonNode> NextAsync()
        {
            var line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.NotNull(line);
            return JsonNode.Parse(line)!;
        }

        public async Task<string?> RestAsync() => await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));

        public void Dispose()
        {
            reader.Dispose();
            response.Dispose();
        }
    }

    private async Task<WatchStream> WatchAsync(string path)
    {
        var response = await _http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new WatchStream(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    private static string Type(JsonNode e) => (string)e["type"]!;

    private static string Name(JsonNode e) => (string)e["object"]!["metadata"]!["name"]!;

    private static long Rv(JsonNode e) => long.Parse((string)e["object"]!["metadata"]!["resourceVersion"]!);

    [Fact]
    public async Task AWatchListSendsTheObjectsThenTheInitialEventsEndBookmarkThenChanges()
    {
        await NamespaceAsync("watchlist");
        await ConfigMapAsync("watchlist", "a");
        var last = await ConfigMapAsync("watchlist", "b");
        // client-go's watch-list request (reflector with WatchListClient): no resourceVersion, so consistent
        using var watch = await WatchAsync("/api/v1/namespaces/watchlist/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=60");
        var first = await watch.NextAsync();
        var second = await watch.NextAsync();
        Assert.Equal([("ADDED", "a"), ("ADDED", "b")], new[] { (Type(first), Name(first)), (Type(second), Name(second)) });
        var end = await watch.NextAsync();
        Assert.Equal("BOOKMARK", Type(end));
        Assert.Equal(("ConfigMap", "v1", "true"), ((string)end["object"]!["kind"]!, (string)end["object"]!["apiVersion"]!,
            (string)end["object"]!["metadata"]!["annotations"]!["k8s.io/initial-events-end"]!));
        Assert.True(Rv(end) >= last, end.ToJsonString());
        var created = await ConfigMapAsync("watchlist", "c");
        var added = await watch.NextAsync();
        Assert.Equal(("ADDED", "c", created), (Type(added), Name(added), Rv(added)));

        // kube's ListOptions validation, word for word
        var (code, body) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/watchlist/configmaps?watch=true&sendInitialEvents=true");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        Assert.Equal("ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan", (string)body["message"]!);
        (code, body) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/watchlist/configmaps?sendInitialEvents=true");
        Assert.Equal("ListOptions.meta.k8s.io \"\" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list", (string)body["message"]!);
        (code, body) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/watchlist/configmaps?resourceVersionMatch=NotOlderThan");
        Assert.Equal("ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided", (string)body["message"]!);
        Assert.Equal(("Invalid", 422), ((string)body["reason"]!, (int)body["code"]!));
    }

    [Fact]
    public async Task ASelectorSeesObjectsStartAndStopMatchingAsAddedAndDeleted()
    {
        await NamespaceAsync("selectors");
        var from = await ConfigMapAsync("selectors", "x", """{"tier":"db"}""");
        using var watch = await WatchAsync($"/api/v1/namespaces/selectors/configmaps?watch=true&labelSelector=tier%3Dweb&resourceVersion={from}");
        await LabelAsync("selectors", "x", """{"tier":"web"}""");
        var added = await watch.NextAsync();
        Assert.Equal(("ADDED", "x", "web"), (Type(added), Name(added), (string)added["object"]!["metadata"]!["labels"]!["tier"]!));
        await LabelAsync("selectors", "x", """{"tier":"web","more":"yes"}""");
        Assert.Equal("MODIFIED", Type(await watch.NextAsync()));
        var (_, moved) = await LabelAsync("selectors", "x", """{"tier":"cache"}""");
        var deleted = await watch.NextAsync();
        // the object as the watcher last saw it (still tier=web), at the revision of the change that took it away
        Assert.Equal(("DELETED", "web"), (Type(deleted), (string)deleted["object"]!["metadata"]!["labels"]!["tier"]!));
        Assert.Equal(long.Parse((string)moved["metadata"]!["resourceVersion"]!), Rv(deleted));
        await ConfigMapAsync("selectors", "y", """{"tier":"web"}""");
        var y = await watch.NextAsync();
        Assert.Equal(("ADDED", "y"), (Type(y), Name(y)));
    }

    [Fact]
    public async Task ABookmarkComesBeforeTheWatchTimesOut()
    {
        await NamespaceAsync("bookmarks");
        var rv = await ConfigMapAsync("bookmarks", "b");
        var started = Stopwatch.StartNew();
        using var watch = await WatchAsync($"/api/v1/namespaces/bookmarks/configmaps?watch=true&resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=4");
        var bookmark = await watch.NextAsync();
        Assert.Equal("BOOKMARK", Type(bookmark));
        Assert.True(Rv(bookmark) >= rv);
        Assert.Null(bookmark["object"]!["metadata"]!["annotations"]); // only a watch-list's first bookmark is annotated
        Assert.Equal("", await watch.RestAsync()); // then the stream ends at its timeout
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task ListsAtResourceVersionZeroComeFromTheCacheAndTooNewAResourceVersionTimesOut()
    {
        await NamespaceAsync("cachelists");
        long last = 0;
        foreach (var name in new[] { "a", "b", "c" }) last = await ConfigMapAsync("cachelists", name);
        // rv=0: the watch cache, whole (a limit is ignored there, as kube-apiserver 1.32 ignores it)
        var (_, all) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/cachelists/configmaps?resourceVersion=0&limit=1");
        Assert.Equal(3, all["items"]!.AsArray().Count);
        Assert.True(long.Parse((string)all["metadata"]!["resourceVersion"]!) >= last);
        // NotOlderThan with a limit: the first page from the cache, continued from the store
        var (_, page) = await SendAsync(HttpMethod.Get, $"/api/v1/namespaces/cachelists/configmaps?resourceVersion={last}&resourceVersionMatch=NotOlderThan&limit=2");
        Assert.Equal(["a", "b"], page["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!));
        Assert.Equal(1, (long)page["metadata"]!["remainingItemCount"]!);
        var (_, rest) = await SendAsync(HttpMethod.Get, $"/api/v1/namespaces/cachelists/configmaps?limit=2&continue={Uri.EscapeDataString((string)page["metadata"]!["continue"]!)}");
        Assert.Equal(["c"], rest["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!));
        // a get with a resourceVersion is served by the cache too
        var (got, b) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/cachelists/configmaps/b?resourceVersion=0");
        Assert.Equal((HttpStatusCode.OK, "b"), (got, (string)b["metadata"]!["name"]!));

        var future = last + 1000;
        var (code, body) = await SendAsync(HttpMethod.Get, $"/api/v1/namespaces/cachelists/configmaps?resourceVersion={future}&resourceVersionMatch=NotOlderThan");
        Assert.Equal(HttpStatusCode.GatewayTimeout, code);
        Assert.StartsWith($"Timeout: Too large resource version: {future}, current: ", (string)body["message"]!);
        Assert.Equal("ResourceVersionTooLarge", (string)body["details"]!["causes"]![0]!["reason"]!);
    }

    [Fact]
    public async Task AWatchFromBeforeTheCachesWindowIsExpired()
    {
        await NamespaceAsync("window");
        var old = await ConfigMapAsync("window", "before");
        await ConfigMapAsync("window", "after");
        // a second apiserver over the same store: its caches list now, so its window starts after `old`
        using var second = ApiServerProcess.StartStandalone(server.ClientUrl, "--etcd-compaction-interval", "0");
        using var http = new HttpClient { BaseAddress = new Uri(second.Url), Timeout = TimeSpan.FromSeconds(60) };
        using var response = await http.GetAsync($"/api/v1/namespaces/window/configmaps?watch=true&resourceVersion={old}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // kube: the failure is the stream's one event
        var error = JsonNode.Parse((await new StreamReader(await response.Content.ReadAsStreamAsync()).ReadLineAsync())!)!;
        Assert.Equal("ERROR", Type(error));
        Assert.Equal(("Expired", 410), ((string)error["object"]!["reason"]!, (int)error["object"]!["code"]!));
        Assert.Matches($@"^too old resource version: {old} \(\d+\)$", (string)error["object"]!["message"]!);
        // from the revision the second apiserver's list reports, it watches
        var (_, list) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/window/configmaps");
        using var fresh = await http.GetAsync($"/api/v1/namespaces/window/configmaps?watch=true&resourceVersion={(string)list["metadata"]!["resourceVersion"]!}&timeoutSeconds=1",
            HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.Equal("", await fresh.Content.ReadAsStringAsync());
    }
}

public sealed class WatchCacheMemberTests(MemberFixture member) : WatchCacheTests(member), IClassFixture<MemberFixture>;

public sealed class WatchCacheEtcdTests(EtcdApiServerFixture server) : WatchCacheTests(server), IClassFixture<EtcdApiServerFixture>;
