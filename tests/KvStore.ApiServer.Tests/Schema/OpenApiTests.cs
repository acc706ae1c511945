using System.Text.Json.Nodes;
using KvStore.ApiServer.Schema;

namespace KvStore.ApiServer.Tests.Schema;

public sealed class OpenApiTests
{
    [Fact]
    public void IndexNamesEveryGroupVersionWithItsHash()
    {
        var paths = OpenApi.Index()["paths"]!.AsObject();
        Assert.Equal(["api/v1", "apis/apps/v1", "apis/autoscaling/v2", "apis/autoscaling/v1", "apis/batch/v1", "apis/networking.k8s.io/v1", "apis/policy/v1",
            "apis/rbac.authorization.k8s.io/v1", "apis/storage.k8s.io/v1", "apis/coordination.k8s.io/v1", "apis/discovery.k8s.io/v1"],
            paths.Select(p => p.Key));
        foreach (var (path, entry) in paths)
        {
            var url = entry!["serverRelativeURL"]!.GetValue<string>();
            Assert.Equal($"/openapi/v3/{path}?hash={OpenApi.Hash(path)}", url);
        }
        Assert.Null(OpenApi.Document("apis/certificates.k8s.io/v1"));
    }

    [Fact]
    public void PatchOperationsDeclareFieldValidationAndGvk()
    {
        var doc = OpenApi.Document("apis/apps/v1")!;
        Assert.Equal("3.0.0", doc["openapi"]!.GetValue<string>());
        var item = doc["paths"]!["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]!;
        var patch = item["patch"]!;
        Assert.Equal("patchAppsV1NamespacedDeployment", patch["operationId"]!.GetValue<string>());
        Assert.Equal("Deployment", patch["x-kubernetes-group-version-kind"]!["kind"]!.GetValue<string>());
        Assert.Equal("apps", patch["x-kubernetes-group-version-kind"]!["group"]!.GetValue<string>());
        Assert.Contains("fieldValidation", patch["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()));
        Assert.Contains("application/strategic-merge-patch+json", patch["requestBody"]!["content"]!.AsObject().Select(p => p.Key));
        Assert.NotNull(doc["paths"]!["/apis/apps/v1/deployments"]!["get"]);
        Assert.NotNull(doc["paths"]!["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]!["patch"]);

        var core = OpenApi.Document("api/v1")!;
        Assert.NotNull(core["paths"]!["/api/v1/nodes/{name}"]!["put"]);
        Assert.Null(core["paths"]!["/api/v1/namespaces"]!["delete"]);
        Assert.NotNull(core["paths"]!["/api/v1/namespaces/{namespace}/pods"]!["delete"]);
    }

    [Fact]
    public void ComponentsCarryTheSchemasWithRefsAndPatchExtensions()
    {
        var schemas = OpenApi.Document("api/v1")!["components"]!["schemas"]!.AsObject();
        var pod = schemas["io.k8s.api.core.v1.Pod"]!;
        Assert.Equal("Pod", pod["x-kubernetes-group-version-kind"]![0]!["kind"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/io.k8s.api.core.v1.PodSpec", pod["properties"]!["spec"]!["$ref"]?.GetValue<string>()
            ?? pod["properties"]!["spec"]!["allOf"]![0]!["$ref"]!.GetValue<string>());
        var containers = schemas["io.k8s.api.core.v1.PodSpec"]!["properties"]!["containers"]!;
        Assert.Equal("name", containers["x-kubernetes-patch-merge-key"]!.GetValue<string>());
        Assert.Equal("merge", containers["x-kubernetes-patch-strategy"]!.GetValue<string>());
        Assert.Equal("map", containers["x-kubernetes-list-type"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/io.k8s.api.core.v1.Container", containers["items"]!["allOf"]![0]!["$ref"]!.GetValue<string>());
        Assert.Contains("containerPort", schemas["io.k8s.api.core.v1.ContainerPort"]!["required"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.NotNull(schemas["io.k8s.api.core.v1.PodList"]);
        Assert.NotNull(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]);
        Assert.NotNull(schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]);

        // every $ref resolves
        foreach (var reference in Refs(OpenApi.Document("api/v1")!).Concat(Refs(OpenApi.Document("apis/autoscaling/v2")!)))
            Assert.True(reference.Doc["components"]!["schemas"]![reference.Name] is not null, reference.Name);
    }

    private static IEnumerable<(JsonObject Doc, string Name)> Refs(JsonObject doc)
    {
        var stack = new Stack<JsonNode?>([doc]);
        while (stack.Count > 0)
            switch (stack.Pop())
            {
                case JsonObject o:
                    foreach (var (k, v) in o)
                        if (k == "$ref")
                            yield return (doc, v!.GetValue<string>()["#/components/schemas/".Length..]);
                        else
                            stack.Push(v);
                    break;
                case JsonArray a:
                    foreach (var v in a)
                        stack.Push(v);
                    break;
            }
    }
}
