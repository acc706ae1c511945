using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace KvStore.ApiServer.Tests.Http;

/// <summary>The REST protocol below kubectl, over plain HTTP: Status bodies, lists, watch streams, negotiation.</summary>
public sealed class RestProtocolTests(MemberFixture member) : IClassFixture<MemberFixture>, IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri(member.Url), Timeout = TimeSpan.FromSeconds(60) };

    public void Dispose() => _http.Dispose();

    private async Task<(HttpStatusCode Code, JsonObject Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, string? json = null,
        string contentType = "application/json", string? accept = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue(contentType.Split(';')[0]));
        if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);
        var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text)!.AsObject(), response);
    }

    private async Task NamespaceAsync(string name)
    {
        var (code, body, _) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces", $$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{name}}}"}}""");
        Assert.True(code == HttpStatusCode.Created, body.ToJsonString());
    }

    private static string ConfigMap(string name, string extra = "") =>
        $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}"{{{extra}}}},"data":{"k":"v"}}""";

    [Fact]
    public async Task FailuresAreStatusObjectsWithKubesReasonsAndCodes()
    {
        await NamespaceAsync("status");
        var (code, body, _) = await SendAsync(HttpMethod.Get, "/apis/apps/v1/namespaces/status/deployments/missing");
        Assert.Equal(HttpStatusCode.NotFound, code);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deployments.apps \"missing\" not found","reason":"NotFound","details":{"name":"missing","group":"apps","kind":"deployments"},"code":404}"""),
            body), body.ToJsonString());

        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, "/api/v1/namespaces/status/configmaps", ConfigMap("a"))).Code);
        (code, body, _) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/status/configmaps", ConfigMap("a"));
        Assert.Equal((HttpStatusCode.Conflict, "AlreadyExists", "configmaps \"a\" already exists"), (code, (string)body["reason"]!, (string)body["message"]!));

        (code, body, _) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/status/configmaps", ConfigMap("b", ",\"namespace\":\"other\""));
        Assert.Equal((HttpStatusCode.BadRequest, "the namespace of the provided object does not match the namespace sent on the request"), (code, (string)body["message"]!));

        (code, body, _) = await SendAsync(HttpMethod.Put, "/api/v1/namespaces/status/configmaps/a", ConfigMap("a", ",\"resourceVersion\":\"1\""));
        Assert.Equal((HttpStatusCode.Conflict, "Conflict"), (code, (string)body["reason"]!));

        (code, body, _) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/status/pods", """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{}}""");
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "Invalid"), (code, (string)body["reason"]!));
        Assert.StartsWith("Pod \"p\" is invalid: ", (string)body["message"]!);
        Assert.NotEmpty(body["details"]!["causes"]!.AsArray());

        (code, body, _) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/status/configmaps?labelSelector=a%20in%20(b");
        Assert.Equal(HttpStatusCode.BadRequest, code);
        (code, body, _) = await SendAsync(HttpMethod.Get, "/api/v1/nosuchthings");
        Assert.Equal((HttpStatusCode.NotFound, "the server could not find the requested resource"), (code, (string)body["message"]!));
        (code, body, _) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/status/configmaps/a", ConfigMap("a"));
        Assert.Equal((HttpStatusCode.MethodNotAllowed, "MethodNotAllowed"), (code, (string)body["reason"]!));
    }

    [Fact]
    public async Task CreateDefaultsMetadataAndGenerateName()
    {
        await NamespaceAsync("defaults");
        var (code, body, _) = await SendAsync(HttpMethod.Post, "/apis/apps/v1/namespaces/defaults/deployments", """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"generateName":"web-"},
             "spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}}
            """);
        Assert.True(code == HttpStatusCode.Created, body.ToJsonString());
        var meta = body["metadata"]!;
        Assert.Matches("^web-[bcdfghjklmnpqrstvwxz2456789]{5}$", (string)meta["name"]!);
        Assert.Equal("defaults", (string)meta["namespace"]!);
        Assert.True(Guid.TryParse((string)meta["uid"]!, out _));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", (string)meta["creationTimestamp"]!);
        Assert.Equal(1, (long)meta["generation"]!);
        Assert.Equal(1, (long)body["spec"]!["replicas"]!);
        var rv = long.Parse((string)meta["resourceVersion"]!);

        // the rv is the key's mod_revision: a no-op update keeps it, a spec change bumps generation, a label change does not
        var path = $"/apis/apps/v1/namespaces/defaults/deployments/{(string)meta["name"]!}";
        var (_, same, _) = await SendAsync(HttpMethod.Put, path, body.ToJsonString());
        Assert.Equal(rv, long.Parse((string)same["metadata"]!["resourceVersion"]!));
        var (_, labelled, _) = await SendAsync(new HttpMethod("PATCH"), path, """{"metadata":{"labels":{"x":"y"}}}""", "application/merge-patch+json");
        Assert.Equal(1, (long)labelled["metadata"]!["generation"]!);
        var (_, scaled, _) = await SendAsync(new HttpMethod("PATCH"), path, """{"spec":{"replicas":3}}""", "application/strategic-merge-patch+json");
        Assert.Equal(2, (long)scaled["metadata"]!["generation"]!);
        var (_, scale, _) = await SendAsync(HttpMethod.Get, path + "/scale");
        Assert.Equal(("Scale", 3, "a=b"), ((string)scale["kind"]!, (int)scale["spec"]!["replicas"]!, (string)scale["status"]!["selector"]!));

        var (dryCode, dry, _) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/defaults/configmaps?dryRun=All", ConfigMap("dry"));
        Assert.Equal(HttpStatusCode.Created, dryCode);
        Assert.Equal("dry", (string)dry["metadata"]!["name"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "/api/v1/namespaces/defaults/configmaps/dry")).Code);
    }

    [Fact]
    public async Task FieldValidationStrictRefusesWarnWarnsIgnoreKeeps()
    {
        await NamespaceAsync("fieldvalidation");
        const string path = "/api/v1/namespaces/fieldvalidation/configmaps";
        var (code, body, _) = await SendAsync(HttpMethod.Post, path + "?fieldValidation=Strict", ConfigMap("s", ",\"bogus\":1"));
        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Contains("unknown field \"metadata.bogus\"", (string)body["message"]!);
        (code, _, var response) = await SendAsync(HttpMethod.Post, path + "?fieldValidation=Warn", ConfigMap("w", ",\"bogus\":1"));
        Assert.Equal(HttpStatusCode.Created, code);
        Assert.Contains("unknown field \\\"metadata.bogus\\\"", string.Join(";", response.Headers.GetValues("Warning")));
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, path + "?fieldValidation=Ignore", ConfigMap("i", ",\"bogus\":1"))).Code);
    }

    [Fact]
    public async Task ListsPageWithLimitAndContinueAtOneRevision()
    {
        await NamespaceAsync("paging");
        foreach (var name in new[] { "a", "b", "c", "d", "e" })
        {
            await SendAsync(HttpMethod.Post, "/api/v1/namespaces/paging/configmaps", ConfigMap(name, name is "b" or "d" ? ",\"labels\":{\"odd\":\"no\"}" : ""));
        }
        var (_, first, _) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/paging/configmaps?limit=2");
        Assert.Equal("ConfigMapList", (string)first["kind"]!);
        Assert.Equal(["a", "b"], first["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!));
        Assert.Equal(3, (long)first["metadata"]!["remainingItemCount"]!);
        await SendAsync(HttpMethod.Delete, "/api/v1/namespaces/paging/configmaps/e");
        var token = Uri.EscapeDataString((string)first["metadata"]!["continue"]!);
        var (_, second, _) = await SendAsync(HttpMethod.Get, $"/api/v1/namespaces/paging/configmaps?limit=10&continue={token}");
        Assert.Equal(["c", "d", "e"], second["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!)); // still at the first page's revision
        Assert.Equal((string)first["metadata"]!["resourceVersion"]!, (string)second["metadata"]!["resourceVersion"]!);

        var (_, filtered, _) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/paging/configmaps?labelSelector=odd%21%3Dno&limit=1");
        Assert.Equal(["a"], filtered["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!));
        var (_, table, response) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/paging/configmaps?fieldSelector=metadata.name%3Dc",
            accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
        Assert.Equal("application/json;as=Table;v=v1;g=meta.k8s.io", response.Content.Headers.ContentType!.ToString().Replace(" ", ""));
        Assert.Equal("Table", (string)table["kind"]!);
        Assert.Equal("c", (string)table["rows"]![0]!["cells"]![0]!);
        Assert.Single(table["rows"]!.AsArray());
    }

    [Fact]
    public async Task WatchStreamsEventsFromZeroAndAnExactListOfACompactedRevisionIs410()
    {
        await NamespaceAsync("watch");
        var (_, created, _) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/watch/configmaps", ConfigMap("w1"));
        var rv = long.Parse((string)created["metadata"]!["resourceVersion"]!);

        using (var stream = await _http.GetAsync("/api/v1/namespaces/watch/configmaps?watch=true&resourceVersion=0&timeoutSeconds=30", HttpCompletionOption.ResponseHeadersRead))
        using (var reader = new StreamReader(await stream.Content.ReadAsStreamAsync()))
        {
            var added = JsonNode.Parse((await reader.ReadLineAsync())!)!;
            Assert.Equal(("ADDED", "w1"), ((string)added["type"]!, (string)added["object"]!["metadata"]!["name"]!));
            await SendAsync(new HttpMethod("PATCH"), "/api/v1/namespaces/watch/configmaps/w1", """{"data":{"k":"2"}}""", "application/merge-patch+json");
            var modified = JsonNode.Parse((await reader.ReadLineAsync())!)!;
            Assert.Equal(("MODIFIED", "2"), ((string)modified["type"]!, (string)modified["object"]!["data"]!["k"]!));
            await SendAsync(HttpMethod.Delete, "/api/v1/namespaces/watch/configmaps/w1");
            var deleted = JsonNode.Parse((await reader.ReadLineAsync())!)!;
            Assert.Equal("DELETED", (string)deleted["type"]!);
        }

        // compact past rv (etcdctl on the member): an Exact list at rv goes to the store, which no longer has it; the watch
        // cache still serves a watch from rv (its window is not the store's history)
        await SendAsync(HttpMethod.Post, "/api/v1/namespaces/watch/configmaps", ConfigMap("w2"));
        var (_, list, _) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/watch/configmaps");
        var (code, _, error) = ChildProcess.Run("etcdctl", ["--endpoints", member.ClientUrl, "compact", (string)list["metadata"]!["resourceVersion"]!],
            environment: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" });
        Assert.True(code == 0, error);
        var (gone, status, _) = await SendAsync(HttpMethod.Get, $"/api/v1/namespaces/watch/configmaps?resourceVersion={rv}&resourceVersionMatch=Exact");
        Assert.Equal((HttpStatusCode.Gone, "Expired", "The resourceVersion for the provided list is too old."), (gone, (string)status["reason"]!, (string)status["message"]!));
        using var watch = await _http.GetAsync($"/api/v1/namespaces/watch/configmaps?watch=true&resourceVersion={rv}&timeoutSeconds=1", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, watch.StatusCode);
        using var events = new StreamReader(await watch.Content.ReadAsStreamAsync());
        Assert.Equal("MODIFIED", (string)JsonNode.Parse((await events.ReadLineAsync())!)!["type"]!);
    }

    [Fact]
    public async Task VersionDiscoveryAndHealth()
    {
        var (_, version, _) = await SendAsync(HttpMethod.Get, "/version");
        Assert.Equal(("1", "32"), ((string)version["major"]!, (string)version["minor"]!));
        var (_, _, aggregated) = await SendAsync(HttpMethod.Get, "/apis", accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json");
        Assert.Equal("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", aggregated.Content.Headers.ContentType!.ToString().Replace(" ", ""));
        var (_, group, _) = await SendAsync(HttpMethod.Get, "/apis/apps");
        Assert.Equal(("APIGroup", "apps/v1"), ((string)group["kind"]!, (string)group["preferredVersion"]!["groupVersion"]!));
        Assert.Equal("ok", await _http.GetStringAsync("/readyz"));
        Assert.Equal("ok", await _http.GetStringAsync("/healthz"));
    }
}
