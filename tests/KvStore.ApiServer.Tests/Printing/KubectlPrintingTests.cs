using System.Globalization;
using System.Text.Json.Nodes;
using KvStore.ApiServer.Printing;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Tests.Http;
using Microsoft.AspNetCore.Http;

namespace KvStore.ApiServer.Tests.Printing;

/// <summary>
/// The real kubectl reading our Tables from a minimal list-only apiserver (version, aggregated discovery of the
/// catalog, GET of a resource's list as a Table via <see cref="TableConvertor"/>): what `kubectl get` prints is what
/// users see. The REST layer proper is tested under Http/; this pins the Table as kubectl consumes it.
/// </summary>
public sealed class KubectlPrintingTests : IClassFixture<KubectlPrintingTests.TableServer>
{
    private readonly TableServer _server;

    public KubectlPrintingTests(TableServer server) => _server = server;

    private static string Ago(TimeSpan t) =>
        (DateTimeOffset.UtcNow - t).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    // 42m30s: any moment of the test run still prints "42m".
    private static readonly string Created = Ago(TimeSpan.FromMinutes(42.5));

    private static string[] Lines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>A printed line split on kubectl's column padding (two or more spaces).</summary>
    private static string[] Columns(string line) =>
        System.Text.RegularExpressions.Regex.Split(line.Trim(), " {2,}");

    [Fact]
    public void GetPodsPrintsKubesColumnsAndWideAddsTheRest()
    {
        _server.Put("pods", $$$$"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-0","namespace":"default","labels":{"app":"web"},"creationTimestamp":"{{{{Created}}}}"},
             "spec":{"nodeName":"node-1","containers":[{"name":"app","image":"nginx"},{"name":"log","image":"busybox"}]},
             "status":{"phase":"Running","podIPs":[{"ip":"10.244.0.5"}],"conditions":[{"type":"Ready","status":"False"}],
               "containerStatuses":[
                 {"name":"app","ready":true,"restartCount":0,"state":{"running":{} } },
                 {"name":"log","ready":false,"restartCount":3,"state":{"waiting":{"reason":"CrashLoopBackOff"} },
                  "lastState":{"terminated":{"exitCode":1,"finishedAt":"{{{{Ago(TimeSpan.FromMinutes(20.5))}}}}"} } }]}}
            """,
            $$$$"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"job-x","namespace":"batch","creationTimestamp":"{{{{Created}}}}"},
             "spec":{"containers":[{"name":"c","image":"i"}]},"status":{"phase":"Pending"}}
            """);
        using var kubectl = new Kubectl(_server.Url);

        var plain = Lines(kubectl.OkArgs("get", "pods", "-n", "default"));
        Assert.Equal(["NAME", "READY", "STATUS", "RESTARTS", "AGE"], Columns(plain[0]));
        Assert.Equal(["web-0", "1/2", "CrashLoopBackOff", "3 (20m ago)", "42m"], Columns(plain[1]));
        Assert.Equal(3, plain.Length); // the stub ignores the namespace: both pods are listed

        var wide = Lines(kubectl.OkArgs("get", "pods", "-o", "wide"));
        Assert.Equal(["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"], Columns(wide[0]));
        Assert.Equal(["web-0", "1/2", "CrashLoopBackOff", "3 (20m ago)", "42m", "10.244.0.5", "node-1", "<none>", "<none>"], Columns(wide[1]));
        Assert.Equal(["job-x", "0/1", "Pending", "0", "42m", "<none>", "<none>", "<none>", "<none>"], Columns(wide[2]));

        // -A and --show-labels are built by kubectl from the row's PartialObjectMetadata
        var all = Lines(kubectl.OkArgs("get", "pods", "-A", "--show-labels"));
        Assert.Equal(["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "LABELS"], Columns(all[0]));
        Assert.Equal(["default", "web-0", "1/2", "CrashLoopBackOff", "3 (20m ago)", "42m", "app=web"], Columns(all[1]));
        Assert.Equal(["batch", "job-x", "0/1", "Pending", "0", "42m", "<none>"], Columns(all[2]));
    }

    [Fact]
    public void GetDeploymentsServicesAndNodes()
    {
        _server.Put("deployments", $$$$"""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default","creationTimestamp":"{{{{Created}}}}"},
             "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"} },
                     "template":{"metadata":{"labels":{"app":"web"} },"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]} } },
             "status":{"replicas":3,"updatedReplicas":3,"readyReplicas":2,"availableReplicas":2}}
            """);
        _server.Put("services", $$$$"""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"kubernetes","namespace":"default","creationTimestamp":"{{{{Created}}}}"},
             "spec":{"type":"ClusterIP","clusterIP":"10.96.0.1","clusterIPs":["10.96.0.1"],"ports":[{"name":"https","port":443,"protocol":"TCP","targetPort":6443}]}}
            """);
        _server.Put("nodes", $$$$"""
            {"apiVersion":"v1","kind":"Node","metadata":{"name":"cp-1","creationTimestamp":"{{{{Created}}}}","labels":{"node-role.kubernetes.io/control-plane":""} },
             "status":{"conditions":[{"type":"Ready","status":"True"}],"nodeInfo":{"kubeletVersion":"v1.32.1"} } }
            """);
        using var kubectl = new Kubectl(_server.Url);

        var deploy = Lines(kubectl.OkArgs("get", "deploy", "-o", "wide"));
        Assert.Equal(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"], Columns(deploy[0]));
        Assert.Equal(["web", "2/3", "3", "2", "42m", "nginx", "nginx:1.27", "app=web"], Columns(deploy[1]));

        var svc = Lines(kubectl.OkArgs("get", "svc"));
        Assert.Equal(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], Columns(svc[0]));
        Assert.Equal(["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP", "42m"], Columns(svc[1]));

        var nodes = Lines(kubectl.OkArgs("get", "nodes"));
        Assert.Equal(["NAME", "STATUS", "ROLES", "AGE", "VERSION"], Columns(nodes[0]));
        Assert.Equal(["cp-1", "Ready", "control-plane", "42m", "v1.32.1"], Columns(nodes[1]));
    }

    [Fact]
    public void GetEventsAndHpa()
    {
        _server.Put("events", $$$$"""
            {"apiVersion":"v1","kind":"Event","metadata":{"name":"web-0.1","namespace":"default","creationTimestamp":"{{{{Created}}}}"},
             "involvedObject":{"kind":"Pod","name":"web-0"},"reason":"Pulled","type":"Normal","message":"Container image \"nginx\" already present on machine",
             "firstTimestamp":"{{{{Created}}}}","lastTimestamp":"{{{{Created}}}}","count":1,"source":{"component":"kubelet","host":"node-1"} }
            """);
        _server.Put("horizontalpodautoscalers", $$$$"""
            {"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"web","namespace":"default","creationTimestamp":"{{{{Created}}}}"},
             "spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"minReplicas":1,"maxReplicas":10,
                     "metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50} } }]},
             "status":{"currentReplicas":1,"desiredReplicas":1}}
            """);
        using var kubectl = new Kubectl(_server.Url);

        var events = Lines(kubectl.OkArgs("get", "events"));
        Assert.Equal(["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], Columns(events[0]));
        Assert.Equal(["42m", "Normal", "Pulled", "pod/web-0", "Container image \"nginx\" already present on machine"], Columns(events[1]));

        var hpa = Lines(kubectl.OkArgs("get", "hpa"));
        Assert.Equal(["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"], Columns(hpa[0]));
        Assert.Equal(["web", "Deployment/web", "cpu: <unknown>/50%", "1", "10", "1", "42m"], Columns(hpa[1]));
    }

    /// <summary>Version, aggregated discovery of the catalog, and lists served from memory as Tables.</summary>
    public sealed class TableServer : IAsyncLifetime
    {
        private readonly Dictionary<string, List<JsonObject>> _objects = [];
        private StubServer? _stub;

        public string Url { get; private set; } = "";

        public void Put(string resource, params string[] objects)
        {
            lock (_objects)
                _objects[resource] = objects.Select(o => JsonNode.Parse(o)!.AsObject()).ToList();
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

        private async Task HandleAsync(HttpContext ctx)
        {
            var path = ctx.Request.Path.Value ?? "";
            var accept = ctx.Request.Headers.Accept.ToString();
            if (path == "/version")
            {
                await Json(ctx, 200, """{"major":"1","minor":"32","gitVersion":"v1.32.4","platform":"linux/amd64"}""");
                return;
            }
            if (path is "/api" or "/apis" && accept.Contains("as=APIGroupDiscoveryList", StringComparison.Ordinal))
            {
                ctx.Response.ContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
                await ctx.Response.WriteAsync(Discovery(core: path == "/api").ToJsonString());
                return;
            }
            // /api/v1/[namespaces/<ns>/]<resource> or /apis/<group>/<version>/[namespaces/<ns>/]<resource>
            var parts = path.Trim('/').Split('/');
            var offset = parts[0] == "api" ? 2 : 3;
            if (parts.Length > offset + 1 && parts[offset] == "namespaces")
                offset += 2;
            var group = parts[0] == "api" ? "" : parts.ElementAtOrDefault(1) ?? "";
            var resource = parts.Length == offset + 1 ? ResourceCatalog.All.FirstOrDefault(r => r.Group == group && r.Resource == parts[offset]) : null;
            if (resource is null || ctx.Request.Method != "GET")
            {
                await Json(ctx, 404, """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","reason":"NotFound","code":404}""");
                return;
            }
            List<JsonObject> items;
            lock (_objects)
                items = _objects.TryGetValue(resource.Resource, out var list) ? list.Select(o => (JsonObject)o.DeepClone()).ToList() : [];
            if (!accept.Contains("as=Table", StringComparison.Ordinal))
            {
                await Json(ctx, 500, """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"this stub serves Tables only","code":500}""");
                return;
            }
            var table = TableConvertor.ToTable(resource, items, ctx.Request.Query["includeObject"].FirstOrDefault() ?? "Metadata", DateTimeOffset.UtcNow);
            table["metadata"] = new JsonObject { ["resourceVersion"] = "7" };
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "application/json;as=Table;v=v1;g=meta.k8s.io";
            await ctx.Response.WriteAsync(table.ToJsonString());
        }

        private static JsonObject Discovery(bool core)
        {
            var items = new JsonArray();
            foreach (var g in ResourceCatalog.All.Where(r => (r.Group.Length == 0) == core).GroupBy(r => r.Group))
            {
                var versions = new JsonArray();
                foreach (var v in g.GroupBy(r => r.Version))
                {
                    var resources = new JsonArray();
                    foreach (var r in v)
                    {
                        resources.Add(new JsonObject
                        {
                            ["resource"] = r.Resource,
                            ["singularResource"] = r.SingularName,
                            ["responseKind"] = new JsonObject { ["group"] = r.Group, ["version"] = r.Version, ["kind"] = r.Kind },
                            ["scope"] = r.Namespaced ? "Namespaced" : "Cluster",
                            ["verbs"] = new JsonArray(r.Verbs.Select(x => (JsonNode)x).ToArray()),
                            ["shortNames"] = new JsonArray(r.ShortNames.Select(x => (JsonNode)x).ToArray()),
                            ["categories"] = new JsonArray(r.Categories.Select(x => (JsonNode)x).ToArray()),
                        });
                    }
                    versions.Add(new JsonObject { ["version"] = v.Key, ["freshness"] = "Current", ["resources"] = resources });
                }
                items.Add(new JsonObject { ["metadata"] = new JsonObject { ["name"] = g.Key }, ["versions"] = versions });
            }
            return new JsonObject
            {
                ["kind"] = "APIGroupDiscoveryList",
                ["apiVersion"] = "apidiscovery.k8s.io/v2",
                ["metadata"] = new JsonObject(),
                ["items"] = items,
            };
        }

        private static async Task Json(HttpContext ctx, int status, string json)
        {
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(json);
        }
    }
}
