using System.Text;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Patching;
using KvStore.ApiServer.Tests.Http;
using Microsoft.AspNetCore.Http;
using Xunit.Abstractions;

namespace KvStore.ApiServer.Tests.Patching;

/// <summary>
/// The real kubectl against a minimal recording apiserver (version, discovery, one deployment and one configmap
/// kept in memory, PATCH through <see cref="Patcher"/>): what kubectl sends must patch into what it asked for.
/// The REST layer proper is tested under Http/; this only pins the patch bodies kubectl produces.
/// </summary>
public sealed class KubectlPatchTests : IClassFixture<KubectlPatchTests.RecordingServer>
{
    private readonly RecordingServer _server;
    private readonly ITestOutputHelper _output;

    public KubectlPatchTests(RecordingServer server, ITestOutputHelper output)
    {
        _server = server;
        _output = output;
    }

    private const string DeploymentV1 = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: shop
          labels: {app: web, tier: front}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - name: web
                image: nginx:1.25
                env: [{name: A, value: "1"}, {name: B, value: "2"}]
                ports: [{containerPort: 80}]
              - name: sidecar
                image: busybox
                command: [sleep, inf]
        """;

    private const string DeploymentV2 = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: shop
          labels: {app: web}
        spec:
          replicas: 3
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - name: sidecar
                image: busybox
                command: [sleep, "3600"]
              - name: web
                image: nginx:1.27
                env: [{name: A, value: "1"}, {name: C, value: "3"}]
                ports: [{containerPort: 8080}]
        """;

    [Fact]
    public void ClientSideApplyPatchesGiveTheManifest()
    {
        _server.Reset();
        using var kubectl = new Kubectl(_server.Url);
        Assert.Contains("deployment.apps/web created", kubectl.OkWithInput(DeploymentV1, "apply", "--validate=false", "-f", "-"));
        Assert.Empty(_server.Patches);

        Assert.Contains("deployment.apps/web configured", kubectl.OkWithInput(DeploymentV2, "apply", "--validate=false", "-f", "-"));
        var (contentType, body, _) = Assert.Single(_server.Patches);
        _output.WriteLine($"kubectl apply sent {contentType}: {body}");
        Assert.StartsWith(Patcher.StrategicMergePatch, contentType, StringComparison.Ordinal);
        Assert.Contains("$setElementOrder/containers", body, StringComparison.Ordinal);

        var stored = _server.Get("deployments/web")!;
        var expected = Patcher.ParseApplyPatch(DeploymentV2);
        JsonAssert.Equal(expected["spec"]!.ToJsonString(), stored["spec"]);
        JsonAssert.Equal("""{"app":"web"}""", stored["metadata"]!["labels"]);
        var lastApplied = JsonNode.Parse(stored["metadata"]!["annotations"]!["kubectl.kubernetes.io/last-applied-configuration"]!.GetValue<string>());
        JsonAssert.Equal(expected["spec"]!.ToJsonString(), lastApplied!["spec"]);

        Assert.Contains("deployment.apps/web unchanged", kubectl.OkWithInput(DeploymentV2, "apply", "--validate=false", "-f", "-"));
        Assert.Single(_server.Patches);
    }

    [Fact]
    public void KubectlPatchTypesAndServerSideApply()
    {
        _server.Reset();
        using var kubectl = new Kubectl(_server.Url);
        kubectl.OkWithInput(DeploymentV1, "apply", "--validate=false", "-f", "-");

        kubectl.OkWithInput(null, "patch", "deployment", "web", "-n", "shop", "--type", "json",
            "-p", """[{"op":"replace","path":"/spec/replicas","value":4}]""");
        kubectl.OkWithInput(null, "patch", "deployment", "web", "-n", "shop", "--type", "merge",
            "-p", """{"metadata":{"labels":{"tier":null,"team":"a"}}}""");
        kubectl.OkWithInput(null, "patch", "deployment", "web", "-n", "shop",
            "-p", """{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.36"}]}}}}""");
        Assert.Equal([Patcher.JsonPatch, Patcher.MergePatch, Patcher.StrategicMergePatch],
            _server.Patches.Select(p => p.ContentType.Split(';')[0]));
        var stored = _server.Get("deployments/web")!;
        Assert.Equal(4, stored["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal("a", stored["metadata"]!["labels"]!["team"]!.GetValue<string>());
        Assert.Null(stored["metadata"]!["labels"]!["tier"]);
        var containers = stored["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        Assert.Equal("nginx:1.25", containers.Single(c => c!["name"]!.GetValue<string>() == "web")!["image"]!.GetValue<string>());
        Assert.Equal("busybox:1.36", containers.Single(c => c!["name"]!.GetValue<string>() == "sidecar")!["image"]!.GetValue<string>());

        const string coredns = """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: coredns, namespace: shop}
            data:
              Corefile: |
                .:53 {
                    forward . /etc/resolv.conf
                }
            """;
        Assert.Contains("configmap/coredns serverside-applied", kubectl.OkWithInput(coredns, "apply", "--server-side", "--validate=false", "-f", "-"));
        var (contentType, _, query) = _server.Patches[^1];
        Assert.StartsWith(Patcher.ApplyPatchYaml, contentType, StringComparison.Ordinal);
        Assert.Contains("fieldManager=kubectl", query, StringComparison.Ordinal);
        var cm = _server.Get("configmaps/coredns")!;
        Assert.Equal(".:53 {\n    forward . /etc/resolv.conf\n}\n", cm["data"]!["Corefile"]!.GetValue<string>());
        Assert.Equal("kubectl", cm["metadata"]!["managedFields"]![0]!["manager"]!.GetValue<string>());

        // another manager changing the same key without --force-conflicts is refused with kube's message
        var conflict = kubectl.FailsWithInput(coredns.Replace("/etc/resolv.conf", "8.8.8.8", StringComparison.Ordinal),
            "apply", "--server-side", "--field-manager", "ops", "--validate=false", "-f", "-");
        Assert.Contains("conflict with \"kubectl\": .data.Corefile", conflict, StringComparison.Ordinal);
        kubectl.OkWithInput(coredns.Replace("/etc/resolv.conf", "8.8.8.8", StringComparison.Ordinal),
            "apply", "--server-side", "--field-manager", "ops", "--force-conflicts", "--validate=false", "-f", "-");
        Assert.Contains("8.8.8.8", _server.Get("configmaps/coredns")!["data"]!["Corefile"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void ServerSideApplyTakesOverFromClientSideApply()
    {
        _server.Reset();
        using var kubectl = new Kubectl(_server.Url);
        kubectl.OkWithInput(DeploymentV1, "apply", "--validate=false", "-f", "-");
        var created = _server.Get("deployments/web")!;
        Assert.Equal("kubectl-client-side-apply", created["metadata"]!["managedFields"]![0]!["manager"]!.GetValue<string>());

        // fields kubectl last applied client-side and nobody changed since: server-side apply takes them, no conflict
        Assert.Contains("deployment.apps/web serverside-applied",
            kubectl.OkWithInput(DeploymentV2, "apply", "--server-side", "--validate=false", "-f", "-"));
        var stored = _server.Get("deployments/web")!;
        Assert.Equal("nginx:1.27", stored["spec"]!["template"]!["spec"]!["containers"]!.AsArray()
            .Single(c => c!["name"]!.GetValue<string>() == "web")!["image"]!.GetValue<string>());
        var lastApplied = JsonNode.Parse(stored["metadata"]!["annotations"]!["kubectl.kubernetes.io/last-applied-configuration"]!.GetValue<string>())!;
        Assert.Equal(3, lastApplied["spec"]!["replicas"]!.GetValue<int>());
        Assert.Contains(stored["metadata"]!["managedFields"]!.AsArray(), m => m!["manager"]!.GetValue<string>() == "kubectl" && m["operation"]!.GetValue<string>() == "Apply");

        // a value someone else changed is a real conflict
        kubectl.OkWithInput(null, "patch", "deployment", "web", "-n", "shop", "--type", "merge", "-p", """{"spec":{"replicas":7}}""");
        var conflict = kubectl.FailsWithInput(DeploymentV2.Replace("replicas: 3", "replicas: 4", StringComparison.Ordinal),
            "apply", "--server-side", "--validate=false", "-f", "-");
        Assert.Contains("Apply failed with 1 conflict: conflict with \"kubectl-patch\" using apps/v1: .spec.replicas", conflict, StringComparison.Ordinal);
    }

    /// <summary>Just enough apiserver for kubectl apply/patch of one namespace's deployments and configmaps.</summary>
    public sealed class RecordingServer : IAsyncLifetime
    {
        private readonly Dictionary<string, JsonObject> _objects = [];
        private StubServer? _stub;
        private int _revision = 1;

        public string Url { get; private set; } = "";

        public List<(string ContentType, string Body, string Query)> Patches { get; } = [];

        public void Reset()
        {
            lock (_objects)
            {
                _objects.Clear();
                Patches.Clear();
            }
        }

        public JsonObject? Get(string key)
        {
            lock (_objects)
                return _objects.TryGetValue(key, out var o) ? (JsonObject)o.DeepClone() : null;
        }

        public async Task InitializeAsync()
        {
            _stub = await StubServer.StartAsync(HandleAsync);
            Url = _stub.Url;
        }

        public async Task DisposeAsync()
        {
            if (_stub is not null)
                await _stub.DisposeAsync();
        }

        private static (string Group, string Kind, string Plural, string Short) ResourceOf(string plural) => plural switch
        {
            "deployments" => ("apps", "Deployment", "deployments", "deploy"),
            _ => ("", "ConfigMap", "configmaps", "cm"),
        };

        // the schema part's trees for the kinds (the hand-built ones only test Patching in isolation)
        private static KvStore.ApiServer.Schema.FieldSchema SchemaOf(string plural) =>
            KvStore.ApiServer.Schema.SchemaRegistry.ForKind(plural == "deployments" ? "Deployment" : "ConfigMap")
            ?? throw new InvalidOperationException("no schema for " + plural);

        private async Task HandleAsync(HttpContext ctx)
        {
            var path = ctx.Request.Path.Value ?? "";
            var accept = ctx.Request.Headers.Accept.ToString();
            switch (path)
            {
                case "/version":
                    await Json(ctx, 200, """{"major":"1","minor":"32","gitVersion":"v1.32.4","platform":"linux/amd64"}""");
                    return;
                case "/api" or "/apis" when accept.Contains("as=APIGroupDiscoveryList", StringComparison.Ordinal):
                    var core = path == "/api";
                    var (group, kind, plural, shortName) = ResourceOf(core ? "configmaps" : "deployments");
                    ctx.Response.ContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
                    await ctx.Response.WriteAsync($$"""
                        {"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","metadata":{},"items":[{"metadata":{"name":"{{group}}"},
                         "versions":[{"version":"v1","freshness":"Current","resources":[{"resource":"{{plural}}","singularResource":"{{kind.ToLowerInvariant()}}",
                         "responseKind":{"group":"{{group}}","version":"v1","kind":"{{kind}}"},"scope":"Namespaced",
                         "verbs":["create","delete","get","list","patch","update","watch"],"shortNames":["{{shortName}}"],"categories":["all"]}]}]}]}
                        """);
                    return;
            }
            var parts = path.Trim('/').Split('/');
            if (parts.Length == 4 && parts[0] == "api" && parts[2] == "namespaces")
            {
                await Json(ctx, 200, new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = parts[3] }, ["status"] = new JsonObject { ["phase"] = "Active" } }.ToJsonString());
                return;
            }
            // /api/v1/namespaces/shop/configmaps[/name] or /apis/apps/v1/namespaces/shop/deployments[/name]
            var offset = parts[0] == "api" ? 2 : 3;
            if (parts.Length < offset + 3 || parts[offset] != "namespaces")
            {
                await Json(ctx, 404, """{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}""");
                return;
            }
            var resource = parts[offset + 2];
            var name = parts.Length > offset + 3 ? parts[offset + 3] : null;
            var key = $"{resource}/{name}";
            var body = await new StreamReader(ctx.Request.Body, Encoding.UTF8).ReadToEndAsync();
            JsonObject? existing;
            lock (_objects)
                existing = _objects.TryGetValue(key, out var o) ? (JsonObject)o.DeepClone() : null;

            switch (ctx.Request.Method)
            {
                case "GET" when existing is not null:
                    await Json(ctx, 200, existing.ToJsonString());
                    return;
                case "GET":
                    await NotFound(ctx, resource, name);
                    return;
                case "POST":
                    var created = Patcher.TrackUpdate(null, JsonNode.Parse(body)!.AsObject(), Manager(ctx), SchemaOf(resource));
                    key = $"{resource}/{created["metadata"]!["name"]}";
                    await Json(ctx, 201, Store(key, created).ToJsonString());
                    return;
                case "PATCH":
                    var contentType = ctx.Request.ContentType ?? "";
                    lock (_objects)
                        Patches.Add((contentType, body, ctx.Request.QueryString.Value ?? ""));
                    try
                    {
                        JsonObject patched;
                        if (contentType.StartsWith(Patcher.ApplyPatchYaml, StringComparison.Ordinal))
                        {
                            var force = ctx.Request.Query["force"] == "true";
                            patched = Patcher.ApplyServerSide(existing, Patcher.ParseApplyPatch(body), ctx.Request.Query["fieldManager"].ToString(), force, SchemaOf(resource));
                        }
                        else if (existing is null)
                        {
                            await NotFound(ctx, resource, name);
                            return;
                        }
                        else
                        {
                            patched = Patcher.TrackUpdate(existing, Patcher.Apply(contentType, existing, body, SchemaOf(resource)), Manager(ctx), SchemaOf(resource));
                        }
                        await Json(ctx, existing is null ? 201 : 200, Store(key, patched).ToJsonString());
                    }
                    catch (ApplyConflictException e)
                    {
                        await Json(ctx, 409, new JsonObject
                        {
                            ["kind"] = "Status", ["apiVersion"] = "v1", ["status"] = "Failure", ["message"] = e.Message, ["reason"] = "Conflict", ["code"] = 409,
                            ["details"] = new JsonObject { ["causes"] = new JsonArray(e.Conflicts.Select(c => (JsonNode)new JsonObject { ["reason"] = "FieldManagerConflict", ["message"] = c.Message, ["field"] = c.Field }).ToArray()) },
                        }.ToJsonString());
                    }
                    catch (PatchException e)
                    {
                        await Json(ctx, e.BadRequest ? 400 : 422, new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["status"] = "Failure", ["message"] = e.Message, ["code"] = e.BadRequest ? 400 : 422 }.ToJsonString());
                    }
                    return;
                default:
                    await Json(ctx, 405, """{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"MethodNotAllowed","code":405}""");
                    return;
            }
        }

        private static string Manager(HttpContext ctx) =>
            ctx.Request.Query["fieldManager"].ToString() is { Length: > 0 } m ? m : "kubectl-" + ctx.Request.Method.ToLowerInvariant();

        private JsonObject Store(string key, JsonObject obj)
        {
            lock (_objects)
            {
                var meta = obj["metadata"]!.AsObject();
                meta["resourceVersion"] = (++_revision).ToString(System.Globalization.CultureInfo.InvariantCulture);
                meta["uid"] ??= Guid.NewGuid().ToString();
                meta["creationTimestamp"] ??= "2026-11-27T02:00:00Z";
                _objects[key] = obj;
                return (JsonObject)obj.DeepClone();
            }
        }

        private static Task NotFound(HttpContext ctx, string resource, string? name) =>
            Json(ctx, 404, new JsonObject
            {
                ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure",
                ["message"] = $"{resource} \"{name}\" not found", ["reason"] = "NotFound",
                ["details"] = new JsonObject { ["name"] = name, ["kind"] = resource }, ["code"] = 404,
            }.ToJsonString());

        private static async Task Json(HttpContext ctx, int status, string json)
        {
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(json);
        }
    }
}
