using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Schema;
using KvStore.ApiServer.Tests.Http;
using Microsoft.AspNetCore.Http;
using Xunit.Abstractions;

namespace KvStore.ApiServer.Tests.Schema;

/// <summary>
/// A throwaway HTTP server answering only what this area produces (version, discovery, OpenAPI v3) plus a POST that
/// echoes the object back after strict validation, so the real kubectl 1.32 shows that it accepts our documents:
/// it finds resources by short name, validates server-side (sends fieldValidation=Strict) and explains fields.
/// </summary>
public sealed class KubectlSchemaFixture : IAsyncDisposable
{
    private readonly StubServer _stub;
    public string Url { get; }
    public ConcurrentQueue<string> Requests { get; } = new();
    public ConcurrentDictionary<string, JsonObject> Objects { get; } = new(StringComparer.Ordinal);
    public ConcurrentQueue<(string Path, string ContentType, string Body)> Patches { get; } = new();

    public KubectlSchemaFixture()
    {
        _stub = StubServer.StartAsync(Handle).GetAwaiter().GetResult();
        Url = _stub.Url;
    }

    private async Task Handle(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "/";
        Requests.Enqueue($"{ctx.Request.Method} {path}{ctx.Request.QueryString}");
        var aggregated = ctx.Request.Headers.Accept.ToString().Contains("as=APIGroupDiscoveryList", StringComparison.Ordinal);
        JsonObject? body = null;
        var status = 200;
        var contentType = "application/json";
        switch (path)
        {
            case "/version":
                body = new JsonObject { ["major"] = "1", ["minor"] = "32", ["gitVersion"] = "v1.32.0", ["platform"] = "linux/amd64" };
                break;
            case "/api":
                body = aggregated ? Discovery.AggregatedCore() : Discovery.LegacyCoreVersions(ctx.Request.Host.Value!);
                break;
            case "/apis":
                body = aggregated ? Discovery.AggregatedGroups() : Discovery.LegacyGroups();
                break;
            case "/openapi/v3":
                body = OpenApi.Index();
                break;
            default:
                if (path.StartsWith("/openapi/v3/", StringComparison.Ordinal))
                    body = OpenApi.Document(path["/openapi/v3/".Length..]);
                else if (ctx.Request.Method == "POST")
                {
                    (status, body) = await Create(ctx, path);
                    if (status == 201)
                    {
                        body["metadata"]!["resourceVersion"] = "1";
                        Objects[path + "/" + body["metadata"]!["name"]!.GetValue<string>()] = body;
                    }
                }
                else if (ctx.Request.Method == "PATCH" && Objects.TryGetValue(path, out var patched))
                {
                    using var reader = new StreamReader(ctx.Request.Body);
                    Patches.Enqueue((path, ctx.Request.ContentType ?? "", await reader.ReadToEndAsync()));
                    body = patched;
                }
                else if (ctx.Request.Method == "GET" && Objects.TryGetValue(path, out var stored))
                    body = stored;
                else if (path.StartsWith("/api/v1/namespaces/", StringComparison.Ordinal) && path.Count(c => c == '/') == 4)
                    body = new JsonObject { ["kind"] = "Namespace", ["apiVersion"] = "v1", ["metadata"] = new JsonObject { ["name"] = path.Split('/')[4] } };
                break;
        }
        if (aggregated && path is "/api" or "/apis")
            contentType = Discovery.AggregatedContentType;
        if (body is null)
        {
            status = 404;
            body = new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["status"] = "Failure", ["reason"] = "NotFound", ["code"] = 404, ["message"] = "the server could not find the requested resource" };
        }
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = contentType;
        await ctx.Response.WriteAsync(body.ToJsonString());
    }

    private static async Task<(int, JsonObject)> Create(HttpContext ctx, string path)
    {
        var obj = (await JsonNode.ParseAsync(ctx.Request.Body))!.AsObject();
        var resource = ResourceCatalog.FindByKind(obj["apiVersion"]!.GetValue<string>(), obj["kind"]!.GetValue<string>())!;
        var unknown = SchemaRegistry.UnknownFields(resource, obj);
        if (ctx.Request.Query["fieldValidation"] == "Strict" && unknown.Count > 0)
            return (400, Failure(400, "BadRequest",
                $"{resource.Kind} in version \"{resource.Version}\" cannot be handled as a {resource.Kind}: strict decoding error: {string.Join(", ", unknown)}"));
        var causes = SchemaRegistry.Validate(resource, obj, null);
        if (causes.Count > 0)
        {
            var name = obj["metadata"]?["name"]?.GetValue<string>() ?? "";
            var kindName = resource.Group.Length == 0 ? resource.Kind : $"{resource.Kind}.{resource.Group}";
            var list = string.Join(", ", causes.Select(c => $"{c.Field}: {c.Message}"));
            var status = Failure(422, "Invalid", $"{kindName} \"{name}\" is invalid: {(causes.Count == 1 ? list : $"[{list}]")}");
            status["details"] = new JsonObject
            {
                ["name"] = name, ["group"] = resource.Group, ["kind"] = resource.Kind,
                ["causes"] = new JsonArray(causes.Select(c => (JsonNode)new JsonObject { ["reason"] = c.Reason, ["message"] = c.Message, ["field"] = c.Field }).ToArray()),
            };
            return (422, status);
        }
        return (201, obj);
    }

    private static JsonObject Failure(int code, string reason, string message) => new()
    {
        ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure",
        ["message"] = message, ["reason"] = reason, ["code"] = code,
    };

    public ValueTask DisposeAsync() => _stub.DisposeAsync();
}

public sealed class KubectlSchemaTests(KubectlSchemaFixture server, ITestOutputHelper output) : IClassFixture<KubectlSchemaFixture>, IDisposable
{
    private readonly Kubectl _kubectl = new(server.Url);

    public void Dispose() => _kubectl.Dispose();

    private Task<(int Code, string Out, string Err)> Kubectl(params string[] args)
    {
        var (code, stdout, stderr) = _kubectl.Run(args);
        output.WriteLine($"$ kubectl {string.Join(' ', args)} -> {code}\n{stdout}{stderr}");
        return Task.FromResult((code, stdout, stderr));
    }

    private string Manifest(string yaml)
    {
        var file = Path.Combine(_kubectl.Home, $"m{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, yaml);
        return file;
    }

    private const string DeploymentYaml = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: default
        spec:
          replicas: 2
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
              - name: nginx
                image: nginx:1.27
                ports:
                - containerPort: 80
        """;

    [Fact]
    public async Task CreateValidatesServerSideWithStrictFieldValidation()
    {
        var (code, stdout, stderr) = await Kubectl("create", "-f", Manifest(DeploymentYaml));
        Assert.True(code == 0, stderr + string.Join("\n", server.Requests));
        Assert.Contains("deployment.apps/web created", stdout);
        Assert.Contains(server.Requests, r => r.StartsWith("POST /apis/apps/v1/namespaces/default/deployments?", StringComparison.Ordinal) &&
            r.Contains("fieldValidation=Strict", StringComparison.Ordinal));
        Assert.Contains(server.Requests, r => r.StartsWith("GET /openapi/v3/apis/apps/v1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnknownFieldIsReportedAsKubeApiserverDoes()
    {
        var (code, _, stderr) = await Kubectl("create", "-f", Manifest(DeploymentYaml.Replace("  replicas: 2", "  replicas: 2\n  replicaz: 3")));
        Assert.NotEqual(0, code);
        Assert.Contains("Error from server (BadRequest): error when creating", stderr);
        Assert.Contains("strict decoding error: unknown field \"spec.replicaz\"", stderr);
    }

    [Fact]
    public async Task InvalidObjectShowsTheCauses()
    {
        var (code, _, stderr) = await Kubectl("create", "-f", Manifest(DeploymentYaml.Replace("labels: {app: web}", "labels: {app: api}")));
        Assert.NotEqual(0, code);
        Assert.Contains("The Deployment \"web\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"api\"}: `selector` does not match template `labels`", stderr);
    }

    [Fact]
    public async Task ApplyComputesItsStrategicMergePatchFromOurOpenApiV3()
    {
        const string first = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web2, namespace: default}
            spec:
              selector: {matchLabels: {app: web2}}
              template:
                metadata: {labels: {app: web2}}
                spec:
                  containers:
                  - name: nginx
                    image: nginx:1.27
                    env:
                    - {name: A, value: "1"}
                    - {name: B, value: "2"}
                  - name: sidecar
                    image: busybox
            """;
        var (code, stdout, stderr) = await Kubectl("apply", "-f", Manifest(first));
        Assert.True(code == 0, stderr + string.Join("\n", server.Requests));
        Assert.Contains("deployment.apps/web2 created", stdout);

        var second = first.Replace("        - {name: A, value: \"1\"}\n", "").Replace("image: busybox", "image: busybox:1.36");
        Assert.NotEqual(first, second);
        var before = server.Requests.Count;
        (code, stdout, stderr) = await Kubectl("apply", "-f", Manifest(second));
        Assert.True(code == 0, stderr);
        Assert.Contains("deployment.apps/web2 configured", stdout);
        // kubectl 1.32 computes the patch from OpenAPI v3 when it can and warns when our document does not let it
        // (then it falls back to its compiled-in types, which give the same patch for built-in kinds); it asks for
        // OpenAPI v2 only when v3 did not serve, so no v2 request shows that our v3 document computed this patch
        Assert.DoesNotContain(server.Requests.Skip(before), r => r.StartsWith("GET /openapi/v2", StringComparison.Ordinal));
        Assert.DoesNotContain("openapi v3", stderr, StringComparison.OrdinalIgnoreCase);
        var (path, contentType, body) = Assert.Single(server.Patches, p => p.Path.EndsWith("/deployments/web2", StringComparison.Ordinal));
        Assert.Equal("application/strategic-merge-patch+json", contentType);
        var patch = JsonNode.Parse(body)!;
        var spec = patch["spec"]!["template"]!["spec"]!;
        Assert.Equal("""[{"name":"nginx"},{"name":"sidecar"}]""", spec["$setElementOrder/containers"]!.ToJsonString());
        var containers = spec["containers"]!.AsArray();
        Assert.Contains(containers, c => c!["name"]!.GetValue<string>() == "sidecar" && c["image"]!.GetValue<string>() == "busybox:1.36");
        var nginx = containers.Single(c => c!["name"]!.GetValue<string>() == "nginx")!;
        Assert.Equal("""[{"name":"B"}]""", nginx["$setElementOrder/env"]!.ToJsonString());
        Assert.Equal("""[{"$patch":"delete","name":"A"}]""", nginx["env"]!.ToJsonString());

    }

    [Fact]
    public async Task ExplainReadsOpenApiV3()
    {
        var (code, stdout, stderr) = await Kubectl("explain", "deploy.spec.template.spec.containers.ports");
        Assert.True(code == 0, stderr + string.Join("\n", server.Requests));
        Assert.Contains("GROUP:      apps", stdout);
        Assert.Contains("KIND:       Deployment", stdout);
        Assert.Contains("containerPort\t<integer> -required-", stdout);
        Assert.Contains("protocol\t<string>", stdout);

        (code, stdout, stderr) = await Kubectl("explain", "hpa.spec", "--recursive");
        Assert.True(code == 0, stderr + string.Join("\n", server.Requests));
        Assert.Contains("averageUtilization", stdout);
        Assert.Contains("scaleTargetRef\t<CrossVersionObjectReference> -required-", stdout);

        (code, stdout, stderr) = await Kubectl("explain", "svc.spec.type");
        Assert.True(code == 0, stderr);
        Assert.Contains("FIELD: type <string>", stdout);
        Assert.Contains("How the service is exposed", stdout);
    }

    [Fact]
    public async Task ApiResourcesListsShortNamesAndCategories()
    {
        var (code, stdout, stderr) = await Kubectl("api-resources");
        Assert.True(code == 0, stderr + string.Join("\n", server.Requests));
        var lines = stdout.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("deployments ", StringComparison.Ordinal) && l.Contains(" deploy ") && l.Contains("apps/v1") && l.Contains(" true ") && l.Contains("Deployment"));
        Assert.Contains(lines, l => l.StartsWith("nodes ", StringComparison.Ordinal) && l.Contains(" no ") && l.Contains(" false "));
        Assert.Contains(lines, l => l.StartsWith("horizontalpodautoscalers ", StringComparison.Ordinal) && l.Contains("autoscaling/v2"));
        (code, stdout, _) = await Kubectl("api-resources", "--categories=all", "-o", "name");
        Assert.Equal(0, code);
        Assert.Equal(["pods", "services", "daemonsets.apps", "deployments.apps", "replicasets.apps", "statefulsets.apps", "horizontalpodautoscalers.autoscaling", "cronjobs.batch", "jobs.batch"],
            stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(server.Requests.Count > 0);
        _ = HttpStatusCode.OK;
    }
}
